package io.lakeshard.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.table.CommitResult;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.TableSnapshot;
import io.lakeshard.storage.write.NewDataFile;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
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
            CommitResult result = table.append(files, new IdempotencyKey("writer-1", 1));
            assertTrue(result.applied());
        }
        TableSnapshot snapshot = table.snapshot();
        assertEquals(300, snapshot.numRecords());
        List<Map<String, Object>> actual = TestTables.readAll(table, snapshot, allocator);
        Comparator<Map<String, Object>> byId = Comparator.comparing(row -> (Long) row.get("id"));
        assertEquals(expected.stream().sorted(byId).toList(), actual.stream().sorted(byId).toList());
        assertFalse(snapshot.schema().columnMapping(), "a new table needs no table features");
    }

    @Test
    void aRetriedWriteWithTheSameKeyAddsNoRows() {
        DeltaTable table = TestTables.create(dir, "idem", DatasetDefinition.of(AllTypes.SCHEMA, List.of()));
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, 0, 50)) {
            CommitResult first = table.append(TestTables.write(table, allocator, batch), new IdempotencyKey("w", 7));
            List<NewDataFile> retryFiles = TestTables.write(table, allocator, batch);
            CommitResult retry = table.append(retryFiles, new IdempotencyKey("w", 7));
            CommitResult older = table.append(TestTables.write(table, allocator, batch), new IdempotencyKey("w", 3));
            assertTrue(first.applied());
            assertFalse(retry.applied(), "same key: already applied");
            assertFalse(older.applied(), "a lower sequence of the same writer is a late retry");
            assertEquals(first.version(), table.latestVersion(), "the retries committed nothing");
            assertEquals(50, table.snapshot().numRecords());
            for (NewDataFile file : retryFiles) {
                assertFalse(dir.resolve("tenant_a/main/test/idem/" + file.relativePath()).toFile().exists(),
                        "the duplicate file of a replay is deleted");
            }
            CommitResult next = table.append(TestTables.write(table, allocator, batch), new IdempotencyKey("w", 8));
            assertTrue(next.applied());
            assertEquals(100, table.snapshot().numRecords());
        }
    }
}
