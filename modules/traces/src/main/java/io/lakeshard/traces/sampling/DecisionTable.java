package io.lakeshard.traces.sampling;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.traces.SpanSchema;
import io.lakeshard.traces.query.TraceId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A sampler's decisions dataset: an ordinary dataset of the tenant, beside the span table, that the owner appends one
 * write per tick to and that anyone may query. {@code otel.traces.spans} sampled by {@code checkout} keeps its
 * decisions in {@code otel.traces.spans_sampled_checkout}.
 */
public final class DecisionTable {
    public static final String SEQUENCE = "sequence";
    public static final String TRACE_ID = SpanSchema.TRACE_ID;
    public static final String LATE = "late";
    public static final String KEEP = "keep";
    public static final String POLICY = "policy";
    public static final String TICK = "tick";
    public static final String DECIDED_AT = "decided_at";
    public static final String READY_AT = "ready_at";
    public static final String SPAN_COUNT = "span_count";
    public static final String WINDOW_FROM = "window_from_unix_nano";
    public static final String WINDOW_UNTIL = "window_until_unix_nano";
    public static final String ARRIVED_FROM = "arrived_from_micros";
    public static final String ARRIVED_UNTIL = "arrived_until_micros";

    private static final String SUFFIX = "_sampled_";
    private static final ArrowType TIMESTAMP = new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC");
    private static final ArrowType INT64 = new ArrowType.Int(64, true);
    private static final Schema SCHEMA = new Schema(List.of(
            new Field(SEQUENCE, FieldType.notNullable(INT64), null),
            new Field(TRACE_ID, FieldType.notNullable(new ArrowType.FixedSizeBinary(16)), null),
            new Field(LATE, FieldType.notNullable(ArrowType.Bool.INSTANCE), null),
            new Field(KEEP, FieldType.notNullable(ArrowType.Bool.INSTANCE), null),
            new Field(POLICY, FieldType.nullable(ArrowType.Utf8.INSTANCE), null),
            new Field(TICK, FieldType.notNullable(INT64), null),
            new Field(DECIDED_AT, FieldType.notNullable(TIMESTAMP), null),
            new Field(READY_AT, FieldType.notNullable(TIMESTAMP), null),
            new Field(SPAN_COUNT, FieldType.notNullable(INT64), null),
            new Field(WINDOW_FROM, FieldType.notNullable(INT64), null),
            new Field(WINDOW_UNTIL, FieldType.notNullable(INT64), null),
            new Field(ARRIVED_FROM, FieldType.notNullable(INT64), null),
            new Field(ARRIVED_UNTIL, FieldType.notNullable(INT64), null)));
    private static final HexFormat HEX = HexFormat.of();

    private DecisionTable() {}

    public static Schema schema() {
        return SCHEMA;
    }

    public static DatasetDefinition definition() {
        return DatasetDefinition.of(SCHEMA, List.of());
    }

    /**
     * The decisions dataset of {@code sampler} over {@code spans}.
     *
     * @throws InvalidInputException naming {@code name} when the dataset's table name would be too long
     */
    public static DatasetName dataset(DatasetName spans, String sampler) {
        requireNonNull(spans, "spans is null");
        requireNonNull(sampler, "sampler is null");
        String table = spans.table() + SUFFIX + sampler;
        try {
            return new DatasetName(spans.catalog(), spans.schema(), table);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("name", "the decisions dataset " + spans.catalog() + "." + spans.schema() + "." + table
                    + " would be over 63 characters: expected a sampler name of at most "
                    + Math.max(0, 63 - spans.table().length() - SUFFIX.length()) + " characters for " + spans);
        }
    }

    /** The rows as one batch of the dataset's schema; the caller closes it. */
    public static VectorSchemaRoot batch(List<DecisionRow> rows, BufferAllocator allocator) {
        VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
        try {
            root.allocateNew();
            for (int i = 0; i < rows.size(); i++) {
                DecisionRow row = rows.get(i);
                ((BigIntVector) root.getVector(SEQUENCE)).setSafe(i, row.sequence());
                ((FixedSizeBinaryVector) root.getVector(TRACE_ID)).setSafe(i, HEX.parseHex(row.traceId().hex()));
                ((BitVector) root.getVector(LATE)).setSafe(i, row.late() ? 1 : 0);
                ((BitVector) root.getVector(KEEP)).setSafe(i, row.keep() ? 1 : 0);
                VarCharVector policy = (VarCharVector) root.getVector(POLICY);
                if (row.policy().isPresent()) {
                    policy.setSafe(i, row.policy().get().getBytes(StandardCharsets.UTF_8));
                } else {
                    policy.setNull(i);
                }
                ((BigIntVector) root.getVector(TICK)).setSafe(i, row.tick());
                ((TimeStampMicroTZVector) root.getVector(DECIDED_AT)).setSafe(i, TickWindow.micros(row.decidedAt()));
                ((TimeStampMicroTZVector) root.getVector(READY_AT)).setSafe(i, TickWindow.micros(row.readyAt()));
                ((BigIntVector) root.getVector(SPAN_COUNT)).setSafe(i, row.spanCount());
                ((BigIntVector) root.getVector(WINDOW_FROM)).setSafe(i, row.windowFromUnixNano());
                ((BigIntVector) root.getVector(WINDOW_UNTIL)).setSafe(i, row.windowUntilUnixNano());
                ((BigIntVector) root.getVector(ARRIVED_FROM)).setSafe(i, row.arrivedFromMicros());
                ((BigIntVector) root.getVector(ARRIVED_UNTIL)).setSafe(i, row.arrivedUntilMicros());
            }
            root.setRowCount(rows.size());
            return root;
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
    }

    /** The rows of a query's batch that selected the dataset's columns by name. */
    public static List<DecisionRow> rows(VectorSchemaRoot batch) {
        List<DecisionRow> rows = new ArrayList<>(batch.getRowCount());
        FieldVector policy = batch.getVector(POLICY);
        for (int i = 0; i < batch.getRowCount(); i++) {
            Object name = policy.getObject(i);
            rows.add(new DecisionRow(
                    longValue(batch, SEQUENCE, i),
                    new TraceId(HEX.formatHex((byte[]) batch.getVector(TRACE_ID).getObject(i))),
                    Boolean.TRUE.equals(batch.getVector(LATE).getObject(i)),
                    Boolean.TRUE.equals(batch.getVector(KEEP).getObject(i)),
                    name == null ? Optional.empty() : Optional.of(name.toString()),
                    longValue(batch, TICK, i),
                    instant(batch, DECIDED_AT, i),
                    instant(batch, READY_AT, i),
                    longValue(batch, SPAN_COUNT, i),
                    longValue(batch, WINDOW_FROM, i),
                    longValue(batch, WINDOW_UNTIL, i),
                    longValue(batch, ARRIVED_FROM, i),
                    longValue(batch, ARRIVED_UNTIL, i)));
        }
        return rows;
    }

    /** The dataset's columns, for a SELECT whose batches {@link #rows} reads: timestamps as microseconds. */
    static String columns() {
        return String.join(", ", SCHEMA.getFields().stream()
                .map(field -> field.getType() instanceof ArrowType.Timestamp
                        ? "epoch_us(" + field.getName() + ") AS " + field.getName()
                        : field.getName())
                .toList());
    }

    private static long longValue(VectorSchemaRoot batch, String column, int row) {
        return ((Number) batch.getVector(column).getObject(row)).longValue();
    }

    private static Instant instant(VectorSchemaRoot batch, String column, int row) {
        long micros = longValue(batch, column, row);
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }
}
