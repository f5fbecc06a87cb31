package io.lakeshard.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.table.CommitResult;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.TableSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConcurrentCommitTest {
    private static final int THREADS = 8;
    private static final int COMMITS_PER_THREAD = 12;
    private static final int ROWS_PER_COMMIT = 20;

    @TempDir
    Path dir;

    @Test
    void eightWritersNeverLoseOrCorruptACommit() throws Exception {
        DeltaTable table = TestTables.create(dir, "race", DatasetDefinition.of(AllTypes.SCHEMA, List.of("region")));
        AtomicLong acknowledgedRows = new AtomicLong();
        Set<Long> versions = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try (BufferAllocator allocator = new RootAllocator()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    // Each thread its own table handle, as separate writers would have.
                    DeltaTable handle = DeltaTable.at(table.storage(), table.root());
                    for (int c = 0; c < COMMITS_PER_THREAD; c++) {
                        long first = ((long) thread * COMMITS_PER_THREAD + c) * ROWS_PER_COMMIT;
                        try (VectorSchemaRoot batch = AllTypes.batch(allocator, first, ROWS_PER_COMMIT)) {
                            CommitResult result = TestTables.commit(handle, TestTables.write(handle, allocator, batch),
                                    new IdempotencyKey("writer-" + thread, c));
                            assertTrue(result.applied());
                            assertTrue(versions.add(result.version()), "two commits got version " + result.version());
                            acknowledgedRows.addAndGet(ROWS_PER_COMMIT);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get(5, TimeUnit.MINUTES);
            }
            TableSnapshot snapshot = table.snapshot();
            assertEquals(THREADS * COMMITS_PER_THREAD * ROWS_PER_COMMIT, acknowledgedRows.get());
            assertEquals(acknowledgedRows.get(), snapshot.numRecords(), "statistics agree with what was acknowledged");
            List<Map<String, Object>> rows = TestTables.readAll(table, snapshot, allocator);
            Set<Object> ids = new HashSet<>();
            rows.forEach(row -> ids.add(row.get("id")));
            assertEquals(acknowledgedRows.get(), rows.size(), "every acknowledged row is readable");
            assertEquals(rows.size(), ids.size(), "no row twice");
            assertEquals(THREADS * COMMITS_PER_THREAD, snapshot.version(), "one version per commit after the create");
            for (int t = 0; t < THREADS; t++) {
                assertEquals(COMMITS_PER_THREAD - 1, table.lastSequence("writer-" + t).orElseThrow());
            }
            try (Stream<Path> log = Files.list(Path.of(table.root()).resolve("_delta_log"))) {
                assertTrue(log.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary commit files left");
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
