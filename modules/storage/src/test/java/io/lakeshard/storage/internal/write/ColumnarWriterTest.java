package io.lakeshard.storage.internal.write;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.storage.AllTypes;
import io.lakeshard.storage.dataset.TableSchema.FieldPair;
import io.lakeshard.storage.dataset.WriterOptions;
import io.lakeshard.storage.stats.StatValues;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.File;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.column.values.bloomfilter.BloomFilter;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.api.Binary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The column-by-column writer against parquet-mr's record writer (the write path before it, kept here as
 * {@link ArrowWriteSupport}), on every supported type, nulls and nested values, rows out of order: the same records,
 * the same row groups, encodings, statistics, page indexes and bloom filters; encoded in parallel, the same records
 * and file statistics; and Delta statistics equal to the bounds of the rows.
 */
class ColumnarWriterTest {
    private static final int ROWS = 150_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    File dir;

    @Test
    void writesWhatTheRecordWriterWrote() throws Exception {
        List<FieldPair> columns = AllTypes.SCHEMA.getFields().stream().map(field -> new FieldPair(field, field)).toList();
        Configuration conf = new Configuration(false);
        int[] order = IntStream.range(0, ROWS).map(i -> ROWS - 1 - i).toArray();
        ExecutorService encoders = Executors.newFixedThreadPool(2);
        try (BufferAllocator allocator = new RootAllocator(); VectorSchemaRoot batch = AllTypes.batch(allocator, 0, ROWS)) {
            File reference = new File(dir, "reference.parquet");
            writeWithRecordWriter(reference, columns, batch, order);
            File sequential = new File(dir, "sequential.parquet");
            DataFileWriter.WrittenFile one = write(sequential, columns, conf, batch, writer -> {
                for (int from = 0; from < ROWS; from += 4096) {
                    writer.write(order, from, Math.min(ROWS, from + 4096));
                }
            });
            File parallel = new File(dir, "parallel.parquet");
            DataFileWriter.WrittenFile other = write(parallel, columns, conf, batch, writer -> writer.writeAll(order, encoders));

            List<String> expected = records(reference, conf);
            assertEquals(ROWS, expected.size());
            assertEquals(expected, records(sequential, conf), "the same records, in the same order");
            assertEquals(expected, records(parallel, conf), "encoded in parallel: the same records, in the same order");

            assertSameLayout(reference, sequential, conf);
            assertEquals(fileStatistics(reference, conf), fileStatistics(parallel, conf), "the same bounds and null counts");
            assertBloomFiltersHold(parallel, conf, batch, order);

            assertEquals(JSON.readTree(one.statsJson()), JSON.readTree(other.statsJson()), "the same Delta statistics either way");
            assertDeltaBounds(JSON.readTree(one.statsJson()), batch);
        } finally {
            encoders.shutdownNow();
        }
    }

    /**
     * A row group's columns shared out between two threads (a group commit's coalesced small writes fill one row
     * group): the file is byte for byte the one a single thread writes, and so are its Delta statistics.
     */
    @Test
    void aRowGroupSharedOutByColumnIsTheFileOneThreadWrites() throws Exception {
        List<FieldPair> columns = AllTypes.SCHEMA.getFields().stream().map(field -> new FieldPair(field, field)).toList();
        Configuration conf = new Configuration(false);
        int rows = 20_000;
        int[] order = IntStream.range(0, rows).map(i -> (i * 7919) % rows).toArray();
        ExecutorService helpers = Executors.newFixedThreadPool(2);
        try (BufferAllocator allocator = new RootAllocator(); VectorSchemaRoot batch = AllTypes.batch(allocator, 0, rows)) {
            File alone = new File(dir, "alone.parquet");
            // Written on one thread: the path that never shares out columns.
            DataFileWriter.WrittenFile one = write(alone, columns, conf, batch, writer -> writer.write(order, 0, rows));
            for (int run = 0; run < 5; run++) {
                File shared = new File(dir, "shared-" + run + ".parquet");
                DataFileWriter.WrittenFile other = write(shared, columns, conf, batch, writer -> writer.writeAll(order, helpers));
                assertArrayEquals(Files.readAllBytes(alone.toPath()), Files.readAllBytes(shared.toPath()), "run " + run);
                assertEquals(JSON.readTree(one.statsJson()), JSON.readTree(other.statsJson()), "run " + run);
            }
            assertEquals(rows, records(alone, conf).size());
        } finally {
            helpers.shutdownNow();
        }
    }

    private interface Rows {
        void write(DataFileWriter writer) throws IOException;
    }

    private static DataFileWriter.WrittenFile write(File file, List<FieldPair> columns, Configuration conf, VectorSchemaRoot batch, Rows rows)
            throws IOException {
        DataFileWriter writer = DataFileWriter.create(conf, file.toURI(), columns, WriterOptions.defaults(), ROWS);
        writer.setSource(batch);
        rows.write(writer);
        return writer.finish();
    }

    /** The file as the writer before made it: parquet-mr's record writer, a record per row, the same settings. */
    private static void writeWithRecordWriter(File file, List<FieldPair> columns, VectorSchemaRoot batch, int[] order) throws IOException {
        ArrowWriteSupport support = new ArrowWriteSupport(columns);
        support.setSource(batch);
        Configuration conf = new Configuration(false);
        conf.setInt("parquet.compression.codec.zstd.level", WriterOptions.defaults().compressionLevel());
        RecordWriterBuilder builder = new RecordWriterBuilder(file, support)
                .withConf(conf)
                .withWriteMode(ParquetFileWriter.Mode.CREATE)
                .withCompressionCodec(CompressionCodecName.ZSTD)
                .withRowGroupSize(DataFileWriter.ROW_GROUP_BYTES)
                .withRowGroupRowCountLimit(DataFileWriter.ROW_GROUP_ROWS)
                .withPageSize(DataFileWriter.PAGE_BYTES)
                .withDictionaryEncoding(true)
                .withWriterVersion(ParquetProperties.WriterVersion.PARQUET_1_0)
                .withPageWriteChecksumEnabled(true)
                .withStatisticsTruncateLength(DataFileWriter.STATISTICS_TRUNCATE_LENGTH)
                .withColumnIndexTruncateLength(DataFileWriter.STATISTICS_TRUNCATE_LENGTH);
        for (String column : DataFileWriter.bloomFilterColumns(columns, WriterOptions.defaults())) {
            builder.withBloomFilterEnabled(column, true).withBloomFilterNDV(column, DataFileWriter.ROW_GROUP_ROWS)
                    .withDictionaryEncoding(column, false);
        }
        try (ParquetWriter<Integer> writer = builder.build()) {
            for (int row : order) {
                writer.write(row);
            }
        }
    }

    private static List<String> records(File file, Configuration conf) throws IOException {
        List<String> records = new ArrayList<>();
        try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(), new Path(file.toURI()))
                .withConf(conf).build()) {
            for (Group record = reader.read(); record != null; record = reader.read()) {
                records.add(record.toString());
            }
        }
        return records;
    }

    /** Row group by row group and column by column: rows, type, encodings, statistics, indexes and bloom filter. */
    private static void assertSameLayout(File expected, File actual, Configuration conf) throws IOException {
        try (ParquetFileReader left = open(expected, conf); ParquetFileReader right = open(actual, conf)) {
            List<BlockMetaData> leftGroups = left.getFooter().getBlocks();
            List<BlockMetaData> rightGroups = right.getFooter().getBlocks();
            assertEquals(leftGroups.size(), rightGroups.size(), "row groups");
            assertEquals(left.getFooter().getFileMetaData().getSchema(), right.getFooter().getFileMetaData().getSchema());
            for (int g = 0; g < leftGroups.size(); g++) {
                assertEquals(leftGroups.get(g).getRowCount(), rightGroups.get(g).getRowCount(), "rows of row group " + g);
                List<ColumnChunkMetaData> leftColumns = leftGroups.get(g).getColumns();
                List<ColumnChunkMetaData> rightColumns = rightGroups.get(g).getColumns();
                assertEquals(leftColumns.size(), rightColumns.size());
                for (int c = 0; c < leftColumns.size(); c++) {
                    ColumnChunkMetaData l = leftColumns.get(c);
                    ColumnChunkMetaData r = rightColumns.get(c);
                    String where = l.getPath() + " in row group " + g;
                    assertEquals(l.getPath(), r.getPath());
                    assertEquals(l.getPrimitiveType(), r.getPrimitiveType(), where);
                    assertEquals(l.getCodec(), r.getCodec(), where);
                    assertEquals(l.getEncodings(), r.getEncodings(), where);
                    assertEquals(l.getValueCount(), r.getValueCount(), where);
                    assertEquals(l.getStatistics(), r.getStatistics(), where);
                    assertNotNull(r.getColumnIndexReference(), "page index of " + where);
                    assertNotNull(r.getOffsetIndexReference(), "offset index of " + where);
                    assertEquals(left.readColumnIndex(l) == null, right.readColumnIndex(r) == null, "column index of " + where);
                    assertArrayEquals(bytes(left.readBloomFilter(l)), bytes(right.readBloomFilter(r)), "bloom filter of " + where);
                }
            }
        }
    }

    private static Map<String, Statistics<?>> fileStatistics(File file, Configuration conf) throws IOException {
        Map<String, Statistics<?>> merged = new HashMap<>();
        try (ParquetFileReader reader = open(file, conf)) {
            for (BlockMetaData group : reader.getFooter().getBlocks()) {
                for (ColumnChunkMetaData column : group.getColumns()) {
                    merged.merge(column.getPath().toDotString(), column.getStatistics(), (a, b) -> {
                        Statistics<?> sum = a.copy();
                        sum.mergeStatistics(b);
                        return sum;
                    });
                }
            }
        }
        return merged;
    }

    /** Every trace id is in the bloom filter of the row group that holds it: a lookup never misses. */
    private static void assertBloomFiltersHold(File file, Configuration conf, VectorSchemaRoot batch, int[] order) throws IOException {
        VarCharVector traceIds = (VarCharVector) batch.getVector("trace_id");
        try (ParquetFileReader reader = open(file, conf)) {
            List<BlockMetaData> groups = reader.getFooter().getBlocks();
            assertTrue(groups.size() > 1, "the parallel file has several row groups: " + groups.size());
            int next = 0;
            for (BlockMetaData group : groups) {
                ColumnChunkMetaData column = group.getColumns().stream()
                        .filter(c -> c.getPath().toDotString().equals("trace_id")).findFirst().orElseThrow();
                BloomFilter bloom = reader.readBloomFilter(column);
                assertNotNull(bloom, "trace_id has a bloom filter in every row group");
                for (long i = 0; i < group.getRowCount(); i++) {
                    int row = order[next++];
                    if (!traceIds.isNull(row)) {
                        assertTrue(bloom.findHash(bloom.hash(Binary.fromConstantByteArray(traceIds.get(row)))),
                                "row " + row + "'s trace id is in its row group's filter");
                    }
                }
            }
            assertEquals(order.length, next);
        }
    }

    /** Delta's bounds of the columns whose statistics are collected unboxed, against the rows themselves. */
    private static void assertDeltaBounds(JsonNode stats, VectorSchemaRoot batch) {
        assertEquals(ROWS, stats.get("numRecords").asLong());
        for (String column : List.of("id", "i8", "i16", "i32", "day", "region", "trace_id")) {
            FieldVector vector = batch.getVector(column);
            assertBounds(stats, column, vector, List.of(column));
        }
        StructVector point = (StructVector) batch.getVector("point");
        assertBounds(stats, "point.label", (FieldVector) point.getChild("label"), List.of("point", "label"));
        assertBounds(stats, "point.x", (FieldVector) point.getChild("x"), List.of("point", "x"));
    }

    private static void assertBounds(JsonNode stats, String name, FieldVector vector, List<String> path) {
        Comparable<?> min = null;
        Comparable<?> max = null;
        long nulls = 0;
        for (int row = 0; row < vector.getValueCount(); row++) {
            Comparable<?> value = StatValues.read(vector, row);
            if (value == null) {
                nulls++;
                continue;
            }
            min = min == null || StatValues.compare(value, min) < 0 ? value : min;
            max = max == null || StatValues.compare(value, max) > 0 ? value : max;
        }
        Field field = vector.getField();
        ArrowType type = field.getType();
        assertEquals(StatValues.toJson(type, min).toString(), at(stats.get("minValues"), path).toString(), "min of " + name);
        assertEquals(StatValues.toJson(type, max).toString(), at(stats.get("maxValues"), path).toString(), "max of " + name);
        if (vector.getField().getChildren().isEmpty() && !name.contains(".")) {
            assertEquals(nulls, at(stats.get("nullCount"), path).asLong(), "nulls of " + name);
        }
    }

    private static JsonNode at(JsonNode node, List<String> path) {
        JsonNode current = node;
        for (String step : path) {
            current = current.get(step);
        }
        return current;
    }

    private static byte[] bytes(BloomFilter bloom) throws IOException {
        if (bloom == null) {
            return new byte[0];
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        bloom.writeTo(out);
        return out.toByteArray();
    }

    private static ParquetFileReader open(File file, Configuration conf) throws IOException {
        return ParquetFileReader.open(HadoopInputFile.fromPath(new Path(file.toURI()), conf));
    }

    private static final class RecordWriterBuilder extends ParquetWriter.Builder<Integer, RecordWriterBuilder> {
        private final WriteSupport<Integer> support;

        RecordWriterBuilder(File file, WriteSupport<Integer> support) {
            super(new LocalOutputFile(file.toPath()));
            this.support = support;
        }

        @Override
        protected RecordWriterBuilder self() {
            return this;
        }

        @Override
        protected WriteSupport<Integer> getWriteSupport(Configuration conf) {
            return support;
        }
    }
}
