package io.lakeshard.storage.write;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.dataset.TableSchema;
import io.lakeshard.storage.dataset.WriterOptions;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.internal.fs.HadoopStorage;
import io.lakeshard.storage.internal.schema.DeltaRange;
import io.lakeshard.storage.internal.schema.SystemColumns;
import io.lakeshard.storage.internal.write.BatchConversion;
import io.lakeshard.storage.internal.write.DataFiles;
import io.lakeshard.storage.internal.write.PartitionFileWriter;
import io.lakeshard.storage.stats.StatValues;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.compare.Range;
import org.apache.arrow.vector.compare.RangeEqualsVisitor;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.Text;
import org.apache.hadoop.conf.Configuration;

/**
 * Turns one Arrow batch of user columns into Parquet files in a table's directory, ready to commit: validates the
 * batch against the table's schema, adds the system columns, and writes one file per partition value. A batch that
 * fails validation writes nothing; one that fails midway deletes what it wrote.
 */
public final class BatchWriter {
    private static final long MICROS_PER_DAY = 86_400_000_000L;

    private final Configuration hadoopConf;
    private final URI tableRoot;
    private final TableSchema schema;
    private final Optional<String> eventTimeColumn;
    private final WriterOptions options;
    private final BufferAllocator allocator;

    public BatchWriter(StorageRoot storage, URI tableRoot, TableSchema schema, Optional<String> eventTimeColumn,
            WriterOptions options, BufferAllocator allocator) {
        this.hadoopConf = HadoopStorage.of(storage).conf();
        this.tableRoot = requireNonNull(tableRoot, "tableRoot is null");
        this.schema = requireNonNull(schema, "schema is null");
        this.eventTimeColumn = requireNonNull(eventTimeColumn, "eventTimeColumn is null");
        this.options = requireNonNull(options, "options is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
    }

    public static BatchWriter forDefinition(StorageRoot storage, URI tableRoot, TableSchema schema,
            DatasetDefinition definition, BufferAllocator allocator) {
        return new BatchWriter(storage, tableRoot, schema, definition.eventTimeColumn(),
                definition.writerOptions(), allocator);
    }

    /**
     * Checks a batch against the table's user schema without writing anything: the same checks and lossless type
     * conversions {@link #write} makes (the converted copy is dropped), so what passes here is written there.
     */
    public void validate(VectorSchemaRoot batch) {
        conform(batch).close();
    }

    /** Writes the batch; {@code batchId} is stored in every row so a batch can be traced and deleted as a whole. */
    public List<NewDataFile> write(VectorSchemaRoot batch, String batchId, Instant ingestTime) {
        requireNonNull(batchId, "batchId is null");
        try (BatchConversion exact = conform(batch)) {
            if (batch.getRowCount() == 0) {
                return List.of();
            }
            List<FieldVector> owned = new ArrayList<>();
            try {
                VectorSchemaRoot table = tableBatch(exact.batch(), batchId, ingestTime, owned);
                return writePartitioned(table);
            } finally {
                owned.forEach(FieldVector::close);
            }
        }
    }

    /** The batch in exactly the table's types, or the reason it is refused. */
    private BatchConversion conform(VectorSchemaRoot batch) {
        BatchValidator.requireColumns(schema.userSchema(), batch);
        BatchConversion exact = BatchConversion.of(schema.userSchema(), batch, allocator);
        try {
            BatchValidator.requireValues(schema.userSchema(), exact.batch());
            return exact;
        } catch (RuntimeException e) {
            exact.close();
            throw e;
        }
    }

    /** The batch with missing nullable columns as nulls and the system columns added, in table column order. */
    private VectorSchemaRoot tableBatch(VectorSchemaRoot batch, String batchId, Instant ingestTime, List<FieldVector> owned) {
        int rows = batch.getRowCount();
        long ingestMicros = StatValues.micros(ingestTime);
        List<FieldVector> vectors = new ArrayList<>();
        for (Field field : schema.logical().getFields()) {
            FieldVector vector = switch (field.getName()) {
                case SystemColumns.INGEST_TIME -> {
                    TimeStampMicroTZVector v = new TimeStampMicroTZVector(field, allocator);
                    owned.add(v);
                    v.allocateNew(rows);
                    for (int i = 0; i < rows; i++) {
                        v.set(i, ingestMicros);
                    }
                    yield v;
                }
                case SystemColumns.PARTITION_DATE -> {
                    DateDayVector v = new DateDayVector(field, allocator);
                    owned.add(v);
                    v.allocateNew(rows);
                    FieldVector eventTime = eventTimeColumn.map(batch::getVector).orElse(null);
                    for (int i = 0; i < rows; i++) {
                        v.set(i, (int) Math.floorDiv(eventMicros(eventTime, i, ingestMicros), MICROS_PER_DAY));
                    }
                    yield v;
                }
                case SystemColumns.BATCH_ID -> {
                    VarCharVector v = new VarCharVector(field, allocator);
                    owned.add(v);
                    v.allocateNew(rows);
                    byte[] id = batchId.getBytes(StandardCharsets.UTF_8);
                    for (int i = 0; i < rows; i++) {
                        v.setSafe(i, id);
                    }
                    yield v;
                }
                default -> {
                    FieldVector given = batch.getVector(field.getName());
                    if (given != null) {
                        yield given;
                    }
                    FieldVector nulls = field.createVector(allocator);
                    owned.add(nulls);
                    nulls.setValueCount(rows);
                    yield nulls;
                }
            };
            vector.setValueCount(rows);
            vectors.add(vector);
        }
        return new VectorSchemaRoot(schema.logical().getFields(), vectors, rows);
    }

    private static long eventMicros(FieldVector eventTime, int row, long ingestMicros) {
        if (eventTime == null || eventTime.isNull(row)) {
            return ingestMicros;
        }
        if (eventTime instanceof TimeStampVector timestamps) {
            return timestamps.get(row);
        }
        return ((DateDayVector) eventTime).get(row) * MICROS_PER_DAY;
    }

    private List<NewDataFile> writePartitioned(VectorSchemaRoot table) {
        Map<Map<String, String>, RowList> rowsByPartition = new LinkedHashMap<>();
        List<String> partitionColumns = schema.partitionColumns();
        List<FieldVector> partitionVectors = partitionColumns.stream().map(table::getVector).toList();
        List<RangeEqualsVisitor> sameValue = partitionVectors.stream().map(v -> new RangeEqualsVisitor(v, v)).toList();
        Range range = new Range(0, 0, 1);
        RowList current = null;
        for (int row = 0; row < table.getRowCount(); row++) {
            // Rows come in runs of one partition (a day's spans, say): its values are formatted once per run.
            if (current == null || !samePartition(sameValue, range.setLeftStart(row - 1).setRightStart(row))) {
                Map<String, String> values = new LinkedHashMap<>();
                for (int c = 0; c < partitionColumns.size(); c++) {
                    values.put(schema.physicalName(partitionColumns.get(c)), partitionString(partitionVectors.get(c), row));
                }
                current = rowsByPartition.computeIfAbsent(values, k -> new RowList());
            }
            current.add(row);
        }
        List<NewDataFile> files = new ArrayList<>();
        try {
            for (Map.Entry<Map<String, String>, RowList> partition : rowsByPartition.entrySet()) {
                int[] rows = partition.getValue().toArray();
                files.addAll(PartitionFileWriter.write(hadoopConf, tableRoot, schema, options, partition.getKey(), table,
                        rows, Long.MAX_VALUE));
            }
            return files;
        } catch (RuntimeException e) {
            DataFiles.deleteQuietly(hadoopConf, tableRoot, files);
            throw e;
        }
    }

    private static boolean samePartition(List<RangeEqualsVisitor> columns, Range rows) {
        for (RangeEqualsVisitor column : columns) {
            if (!column.rangeEquals(rows)) {
                return false;
            }
        }
        return true;
    }

    /** Row indices, unboxed. */
    private static final class RowList {
        private int[] rows = new int[1024];
        private int size;

        void add(int row) {
            if (size == rows.length) {
                rows = Arrays.copyOf(rows, size * 2);
            }
            rows[size++] = row;
        }

        int[] toArray() {
            return Arrays.copyOf(rows, size);
        }
    }

    private static String partitionString(FieldVector vector, int row) {
        if (vector.isNull(row)) {
            return null;
        }
        ArrowType type = vector.getField().getType();
        Object value = vector.getObject(row);
        if (value instanceof Text text) {
            value = text.toString();
        }
        if (type.getTypeID() == ArrowType.ArrowTypeID.Timestamp) {
            value = ((TimeStampVector) vector).get(row);
        } else if (type.getTypeID() == ArrowType.ArrowTypeID.Date) {
            value = (long) ((DateDayVector) vector).get(row);
        }
        String text = StatValues.toPartitionString(type, StatValues.normalize(type, value));
        // Delta reads an empty partition value as null; write it as null so every reader agrees.
        return text.isEmpty() ? null : text;
    }

    /** The column checks of a batch before any byte is written; types are {@link BatchConversion}'s. */
    static final class BatchValidator {
        private BatchValidator() {}

        /** Every column is the dataset's, and every non-nullable column is there. */
        static void requireColumns(Schema userSchema, VectorSchemaRoot batch) {
            Map<String, Field> expected = new LinkedHashMap<>();
            userSchema.getFields().forEach(f -> expected.put(f.getName(), f));
            for (Field given : batch.getSchema().getFields()) {
                if (!expected.containsKey(given.getName())) {
                    throw new InvalidInputException("batch." + given.getName(),
                            SystemColumns.isReserved(given.getName())
                                    ? "system columns are added by Lakeshard and must not be sent"
                                    : "no such column in the dataset; expected columns " + expected.keySet());
                }
            }
            for (Field want : userSchema.getFields()) {
                if (batch.getVector(want.getName()) == null && !want.isNullable()) {
                    throw new InvalidInputException("batch." + want.getName(), "missing; the column is not nullable");
                }
            }
        }

        /**
         * No null where the schema forbids one, at any depth, and every date and timestamp within Delta's range; the
         * batch is in the dataset's types.
         */
        static void requireValues(Schema userSchema, VectorSchemaRoot batch) {
            for (Field want : userSchema.getFields()) {
                FieldVector vector = batch.getVector(want.getName());
                if (vector != null) {
                    requireNoNulls("batch." + want.getName(), want, vector, batch.getRowCount(), null);
                    DeltaRange.requireInRange("batch." + want.getName(), vector, batch.getRowCount());
                }
            }
        }

        /** Finds a null where the schema forbids one; {@code parentValid} limits the check to present parents. */
        private static void requireNoNulls(String path, Field want, FieldVector vector, int count, boolean[] parentValid) {
            if (!want.isNullable()) {
                for (int i = 0; i < count; i++) {
                    if ((parentValid == null || parentValid[i]) && vector.isNull(i)) {
                        throw new InvalidInputException(path, "value at index " + i + " is null; the column is not nullable");
                    }
                }
            }
            if (vector instanceof StructVector struct) {
                boolean[] valid = new boolean[count];
                for (int i = 0; i < count; i++) {
                    valid[i] = (parentValid == null || parentValid[i]) && !struct.isNull(i);
                }
                for (int c = 0; c < want.getChildren().size(); c++) {
                    Field child = want.getChildren().get(c);
                    requireNoNulls(path + "." + child.getName(), child, struct.getChild(child.getName()), count, valid);
                }
            } else if (vector instanceof ListVector list) {
                // Elements of a list (and a map's entries) are checked over the whole child vector.
                FieldVector data = list.getDataVector();
                requireNoNulls(path + "[]", want.getChildren().get(0), data, data.getValueCount(), null);
            }
        }
    }
}
