package io.lakeshard.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.internal.read.DataFileReader;
import io.lakeshard.storage.maintenance.Maintenance;
import io.lakeshard.storage.stats.FileStats;
import io.lakeshard.storage.stats.StatValues;
import io.lakeshard.storage.table.CommitResult;
import io.lakeshard.storage.table.DataFile;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.TableSnapshot;
import io.lakeshard.storage.write.NewDataFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoundTripTest {
    private final BufferAllocator allocator = new RootAllocator();

    @TempDir
    Path dir;

    @AfterEach
    void closeAllocator() {
        allocator.close();
    }

    @Test
    void everySupportedTypeWithNullsReadsBackAsWritten() {
        DeltaTable table = TestTables.create(dir, "all_types",
                DatasetDefinition.of(AllTypes.SCHEMA, List.of("region")));
        List<Map<String, Object>> expected;
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, 0, 300)) {
            expected = TestTables.rows(batch, true);
            List<NewDataFile> files = TestTables.write(table, allocator, batch);
            assertEquals(4, files.size(), "one file per region, null region included");
            CommitResult result = TestTables.commit(table, files, new IdempotencyKey("writer-1", 1));
            assertTrue(result.applied());
        }
        TableSnapshot snapshot = table.snapshot();
        assertEquals(300, snapshot.numRecords());
        List<Map<String, Object>> actual = TestTables.readAll(table, snapshot, allocator);
        Comparator<Map<String, Object>> byId = Comparator.comparing(row -> (Long) row.get("id"));
        assertEquals(expected.stream().sorted(byId).toList(), actual.stream().sorted(byId).toList());
        assertFalse(snapshot.schema().columnMapping(), "a new table needs no column mapping");
    }

    @Test
    void fileStatisticsBoundEveryValueAndCountEveryNull() {
        DeltaTable table = TestTables.create(dir, "stats", DatasetDefinition.of(AllTypes.SCHEMA, List.of("region")));
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, 0, 500)) {
            TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", 1));
        }
        TableSnapshot snapshot = table.snapshot();
        DataFileReader reader = new DataFileReader(table, allocator);
        int boundedColumns = 0;
        for (DataFile file : snapshot.files()) {
            try (VectorSchemaRoot rows = reader.read(snapshot, file)) {
                assertEquals(rows.getRowCount(), file.numRecords());
                for (Map.Entry<String, FileStats.ColumnStats> column : file.stats().columns().entrySet()) {
                    FieldVector vector = rows.getVector(column.getKey());
                    FileStats.ColumnStats stats = column.getValue();
                    long nulls = 0;
                    for (int i = 0; i < rows.getRowCount(); i++) {
                        if (vector.isNull(i)) {
                            nulls++;
                            continue;
                        }
                        if (stats.min() == null) {
                            continue;
                        }
                        Comparable<?> value = StatValues.read(vector, i);
                        assertTrue(StatValues.compare(stats.min(), value) <= 0, column.getKey() + " min " + stats.min() + " > " + value);
                        assertTrue(StatValues.compare(stats.max(), value) >= 0, column.getKey() + " max " + stats.max() + " < " + value);
                    }
                    if (stats.min() != null) {
                        boundedColumns++;
                    }
                    assertEquals(nulls, stats.nullCount(), column.getKey() + " null count");
                }
            }
        }
        assertTrue(boundedColumns > 40, "most orderable columns carry bounds: " + boundedColumns);
        FileStats.ColumnStats bigDecimal = snapshot.files().iterator().next().stats().column("dec_big").orElseThrow();
        assertEquals(null, bigDecimal.min(), "30-digit decimals would be rounded by the log: no bounds");
    }

    @Test
    void partitionValuesWithSpacesAndReservedCharactersSurviveEveryPath() {
        Schema schema = new Schema(List.of(
                new Field("id", FieldType.notNullable(
                        new ArrowType.Int(64, true)), null),
                new Field("service", FieldType.nullable(
                        ArrowType.Utf8.INSTANCE), null)));
        DeltaTable table = TestTables.create(dir, "odd_partitions", DatasetDefinition.of(schema, List.of("service")));
        String[] services = {"checkout, eu", "50% off", "a=b/c", "é ü"};
        for (int round = 0; round < 2; round++) {
            try (VectorSchemaRoot batch = VectorSchemaRoot.create(schema, allocator)) {
                for (int i = 0; i < services.length; i++) {
                    ((BigIntVector) batch.getVector("id")).setSafe(i, round * 10L + i);
                    ((VarCharVector) batch.getVector("service")).setSafe(i, services[i].getBytes(StandardCharsets.UTF_8));
                }
                batch.setRowCount(services.length);
                TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("odd", round));
            }
        }
        new Maintenance(table, allocator).optimize();
        List<Map<String, Object>> rows = TestTables.readAll(table, table.snapshot(), allocator);
        assertEquals(8, rows.size());
        assertEquals(Set.of(services), rows.stream().map(r -> r.get("service")).collect(Collectors.toSet()));
        assertEquals(4, table.snapshot().files().size(), "one file per partition after optimize");
    }

    @Test
    void aRetriedWriteWithTheSameKeyAddsNoRows() {
        DeltaTable table = TestTables.create(dir, "idem", DatasetDefinition.of(AllTypes.SCHEMA, List.of()));
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, 0, 50)) {
            CommitResult first = TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", 7));
            List<NewDataFile> retryFiles = TestTables.write(table, allocator, batch);
            CommitResult retry = TestTables.commit(table, retryFiles, new IdempotencyKey("w", 7));
            CommitResult older = TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", 3));
            assertTrue(first.applied());
            assertFalse(retry.applied(), "same key: already applied");
            assertFalse(older.applied(), "a lower sequence of the same writer is a late retry");
            assertEquals(first.version(), table.latestVersion(), "the retries committed nothing");
            assertEquals(50, table.snapshot().numRecords());
            Set<String> live = table.snapshot().files().stream().map(DataFile::path).collect(Collectors.toSet());
            for (NewDataFile file : retryFiles) {
                // Left for vacuum, not deleted: a copy of a write may carry the very files its first delivery committed.
                assertFalse(live.contains(file.relativePath()), "the files of a replay are not in the table");
            }
            CommitResult next = TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", 8));
            assertTrue(next.applied());
            assertEquals(100, table.snapshot().numRecords());
        }
    }
}
