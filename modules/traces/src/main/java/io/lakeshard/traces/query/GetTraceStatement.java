package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import io.lakeshard.traces.SpanSchema;
import io.lakeshard.traces.otlp.ArrowToOtlp;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.IntUnaryOperator;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A trace by id: its rows are kept as they arrive (earliest first), then put in tree order, and turned into OTLP if
 * asked. Empty when no span of the trace is stored.
 */
public final class GetTraceStatement implements TraceStatement<Optional<Trace>> {
    private static final HexFormat HEX = HexFormat.of();

    private final TraceLookup lookup;
    private final BufferAllocator allocator;
    private VectorSchemaRoot rows;

    public GetTraceStatement(TraceLookup lookup, BufferAllocator allocator) {
        this.lookup = requireNonNull(lookup, "lookup is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
    }

    @Override
    public String sql() {
        return TraceSql.trace(lookup);
    }

    @Override
    public long rowLimit() {
        return lookup.maxSpans();
    }

    @Override
    public void add(VectorSchemaRoot batch) {
        if (rows == null) {
            rows = VectorSchemaRoot.create(batch.getSchema(), allocator);
            rows.allocateNew();
        }
        int offset = rows.getRowCount();
        copy(batch, rows, offset, row -> row);
        rows.setRowCount(offset + batch.getRowCount());
    }

    @Override
    public Optional<Trace> result(boolean truncated) {
        if (rows == null) {
            return Optional.empty();
        }
        List<SpanNode> tree = SpanTree.order(spans(rows));
        VectorSchemaRoot ordered = VectorSchemaRoot.create(rows.getSchema(), allocator);
        try {
            ordered.allocateNew();
            copy(rows, ordered, 0, order -> tree.get(order).row());
            ordered.setRowCount(tree.size());
            Optional<TracesData> otlp = lookup.includeOtlp() ? Optional.of(ArrowToOtlp.toTracesData(ordered)) : Optional.empty();
            return Optional.of(new Trace(lookup.traceId(), ordered, tree, truncated, otlp));
        } catch (RuntimeException e) {
            ordered.close();
            throw e;
        } finally {
            rows.close();
            rows = null;
        }
    }

    @Override
    public void close() {
        if (rows != null) {
            rows.close();
        }
    }

    /** Row {@code from.apply(i)} of {@code source} into row {@code offset + i} of {@code target}, for each row of source. */
    private static void copy(VectorSchemaRoot source, VectorSchemaRoot target, int offset, IntUnaryOperator from) {
        for (int column = 0; column < source.getFieldVectors().size(); column++) {
            FieldVector in = source.getVector(column);
            FieldVector out = target.getVector(column);
            for (int i = 0; i < source.getRowCount(); i++) {
                out.copyFromSafe(from.applyAsInt(i), offset + i, in);
            }
            out.setValueCount(offset + source.getRowCount());
        }
    }

    private static List<TraceSpan> spans(VectorSchemaRoot rows) {
        FieldVector spanIds = rows.getVector(SpanSchema.SPAN_ID);
        FieldVector parents = rows.getVector(SpanSchema.PARENT_SPAN_ID);
        FieldVector services = rows.getVector(SpanSchema.SERVICE_NAME);
        FieldVector names = rows.getVector(SpanSchema.NAME);
        FieldVector starts = rows.getVector(SpanSchema.START_TIME_UNIX_NANO);
        FieldVector durations = rows.getVector(SpanSchema.DURATION_NS);
        FieldVector statuses = rows.getVector(SpanSchema.STATUS_CODE);
        List<TraceSpan> spans = new ArrayList<>(rows.getRowCount());
        for (int row = 0; row < rows.getRowCount(); row++) {
            spans.add(new TraceSpan(
                    HEX.formatHex((byte[]) spanIds.getObject(row)),
                    parents.isNull(row) ? Optional.empty() : Optional.of(HEX.formatHex((byte[]) parents.getObject(row))),
                    String.valueOf(services.getObject(row)),
                    String.valueOf(names.getObject(row)),
                    ((Number) starts.getObject(row)).longValue(),
                    ((Number) durations.getObject(row)).longValue(),
                    ((Number) statuses.getObject(row)).intValue()));
        }
        return spans;
    }
}
