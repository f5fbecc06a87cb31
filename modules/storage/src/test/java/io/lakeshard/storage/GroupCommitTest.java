package io.lakeshard.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.stats.FileStats;
import io.lakeshard.storage.table.CommitConflictException;
import io.lakeshard.storage.table.CommittedKey;
import io.lakeshard.storage.table.DataFile;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.GroupCommitResult;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.PendingAppend;
import io.lakeshard.storage.table.TableSettings;
import io.lakeshard.storage.table.TableSnapshot;
import io.lakeshard.storage.write.NewDataFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupCommitTest {
    private final BufferAllocator allocator = new RootAllocator();

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        allocator.close();
    }

    private List<NewDataFile> files(DeltaTable table, long first, int rows) {
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, first, rows)) {
            return TestTables.write(table, allocator, batch);
        }
    }

    @Test
    void severalWritersKeysGoIntoOneCommitAndRetriesAreRecognised() throws Exception {
        DeltaTable table = TestTables.create(dir, "group", DatasetDefinition.of(AllTypes.SCHEMA, List.of()));
        GroupCommitResult first = table.appendGroup(List.of(
                new PendingAppend(files(table, 0, 10), new IdempotencyKey("a", 1)),
                new PendingAppend(files(table, 10, 10), new IdempotencyKey("b", 1)),
                new PendingAppend(files(table, 20, 10), new IdempotencyKey("a", 2))), 0);
        assertEquals(1, first.version(), "one commit for three writes");
        assertEquals(List.of(true, true, true), first.applied());
        assertEquals(2L, table.lastSequence("a").orElseThrow());
        assertEquals(1L, table.lastSequence("b").orElseThrow());
        assertEquals(2L, table.lastSequenceAt("a", 1), "the commit's own snapshot knows its keys");
        assertEquals(-1L, table.lastSequenceAt("c", 1), "a writer that never committed");
        assertEquals(-1L, table.lastSequenceAt("a", 0), "an older version, read from the log");
        String log = Files.readString(Path.of(table.root()).resolve("_delta_log/00000000000000000001.json"));
        assertEquals(2, log.split("\"txn\"").length - 1, "one txn action per writer");

        GroupCommitResult second = table.appendGroup(List.of(
                new PendingAppend(files(table, 20, 10), new IdempotencyKey("a", 2)),
                new PendingAppend(files(table, 30, 10), new IdempotencyKey("b", 2)),
                new PendingAppend(files(table, 30, 10), new IdempotencyKey("b", 2))), 1);
        assertEquals(List.of(false, true, false), second.applied(), "a retry, a new write, and the new write again");
        assertEquals(40, table.snapshot().numRecords());
        assertEquals(40, TestTables.readAll(table, table.snapshot(), allocator).size());
        assertEquals(Optional.of(new CommittedKey(new IdempotencyKey("a", 2), 1, OptionalLong.of(10))),
                table.findCommit(new IdempotencyKey("a", 2), 2), "found in the log: the commit and its rows");
        assertEquals(Optional.of(new CommittedKey(new IdempotencyKey("b", 2), 2, OptionalLong.of(10))),
                table.findCommit(new IdempotencyKey("b", 2), 2), "the copy in the same commit added no rows");
        assertEquals(Optional.empty(), table.findCommit(new IdempotencyKey("a", 1), 2), "only the key a txn set is found");

        GroupCommitResult replayOnly = table.appendGroup(List.of(
                new PendingAppend(files(table, 0, 10), new IdempotencyKey("a", 1))), 2);
        assertEquals(2, replayOnly.version(), "nothing to commit");
        assertEquals(List.of(false), replayOnly.applied());
    }

    @Test
    void aCommitReturnsBeforeItsCheckpointAndTheNextCommitsDoNotWaitForIt() throws Exception {
        DeltaTable table = checkpointingEveryTwo("housekeeping");
        HeldTasks housekeeping = new HeldTasks();
        Path checkpoint = Path.of(table.root()).resolve("_delta_log/00000000000000000002.checkpoint.parquet");

        for (long version = 1; version <= 3; version++) {
            assertEquals(version, appendHandingOff(table, version, housekeeping));
        }
        assertFalse(Files.exists(checkpoint), "version 2's checkpoint is still to be written");
        assertEquals(1, housekeeping.waiting(), "one table's hooks run one at a time, in commit order");
        assertEquals(30, table.snapshot().numRecords(), "readers see every commit meanwhile");

        assertEquals(3, housekeeping.runAll(), "the hooks of every commit ran");
        assertTrue(Files.exists(checkpoint), "and wrote the checkpoint");
        assertEquals(30, TestTables.readAll(table, table.snapshot(), allocator).size());
    }

    @Test
    void housekeepingThatFellBehindWritesOnlyTheNewestCheckpointDue() throws Exception {
        DeltaTable table = checkpointingEveryTwo("behind");
        HeldTasks housekeeping = new HeldTasks();
        Path log = Path.of(table.root()).resolve("_delta_log");

        for (long version = 1; version <= 7; version++) {
            appendHandingOff(table, version, housekeeping);
        }
        assertEquals(7, housekeeping.runAll());
        assertEquals(List.of("00000000000000000006.checkpoint.parquet"), checkpoints(log),
                "the checkpoints of versions 2 and 4 were superseded by 6's before they ran");
        assertTrue(Files.readString(log.resolve("_last_checkpoint")).contains("\"version\":6"));
        for (long version = 1; version <= 7; version++) {
            assertTrue(Files.exists(log.resolve(String.format("%020d.crc", version))), "every commit's checksum is written");
        }

        // Keeping up again, every checkpoint due is written.
        appendHandingOff(table, 8, housekeeping);
        assertEquals(1, housekeeping.runAll());
        assertEquals(List.of("00000000000000000006.checkpoint.parquet", "00000000000000000008.checkpoint.parquet"), checkpoints(log));
        assertEquals(80, TestTables.readAll(table, DeltaTable.at(table.storage(), table.root()).snapshot(), allocator).size());
    }

    @Test
    void aQueuedCheckpointDoesNotSetTheLastCheckpointBackBehindASchemaCommits() throws Exception {
        DeltaTable table = checkpointingEveryTwo("schema");
        HeldTasks housekeeping = new HeldTasks();
        Path log = Path.of(table.root()).resolve("_delta_log");
        for (long version = 1; version <= 3; version++) {
            appendHandingOff(table, version, housekeeping);
        }
        // Turning column mapping on is version 4, whose checkpoint is written in this thread; the column is 5.
        assertEquals(5, table.addColumns(List.of(Field.nullable("extra", new ArrowType.Int(64, true)))).version());
        assertEquals(List.of("00000000000000000004.checkpoint.parquet"), checkpoints(log));

        assertEquals(3, housekeeping.runAll());
        assertEquals(List.of("00000000000000000004.checkpoint.parquet"), checkpoints(log), "version 2's was superseded");
        assertTrue(Files.readString(log.resolve("_last_checkpoint")).contains("\"version\":4"));
    }

    @Test
    void aSnapshotOfManyFilesReadsEveryFilesStatistics() {
        DeltaTable table = TestTables.create(dir, "many", DatasetDefinition.of(AllTypes.SCHEMA, List.of()));
        NewDataFile written = files(table, 0, 10).get(0);
        // More files than one chunk of the parsing that runs beside Kernel's reading, in log entries alone: a
        // snapshot does not open its data files.
        List<String> paths = new ArrayList<>();
        long version = table.latestVersion();
        for (int commit = 0; commit < 3; commit++) {
            List<NewDataFile> copies = new ArrayList<>();
            for (int i = 0; i < 3_000; i++) {
                String path = "copy-" + commit + "-" + i + ".parquet";
                paths.add(path);
                copies.add(new NewDataFile(path, written.sizeBytes(), written.modificationTime(), written.partitionValues(),
                        written.numRecords(), written.statsJson()));
            }
            version = table.appendGroup(List.of(PendingAppend.unkeyed(copies)), version).version();
        }

        TableSnapshot loaded = DeltaTable.at(table.storage(), table.root()).snapshot();
        assertEquals(9_000, loaded.files().size());
        assertEquals(90_000, loaded.numRecords());
        FileStats expected = FileStats.parse(written.statsJson(), loaded.schema().logical(), Map.of());
        assertTrue(expected.columns().size() > 5, "the statistics compared have columns: " + expected);
        Set<String> seen = new HashSet<>();
        for (DataFile file : loaded.files()) {
            assertEquals(expected, file.stats(), file.path());
            seen.add(file.path());
        }
        assertEquals(new HashSet<>(paths), seen);
    }

    private DeltaTable checkpointingEveryTwo(String name) {
        return TestTables.create(dir, name, DatasetDefinition.of(AllTypes.SCHEMA, List.of()), new TableSettings(2, Duration.ofDays(30)));
    }

    /** Commits version {@code version}'s ten rows, its hooks handed to {@code housekeeping}. */
    private long appendHandingOff(DeltaTable table, long version, Executor housekeeping) {
        return table.appendGroup(List.of(new PendingAppend(files(table, version * 10, 10), new IdempotencyKey("w", version))),
                version - 1, housekeeping).version();
    }

    /** An executor that runs nothing until told: the test decides when housekeeping catches up. */
    private static final class HeldTasks implements Executor {
        private final Deque<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable task) {
            tasks.add(task);
        }

        int waiting() {
            return tasks.size();
        }

        /** Runs the tasks, and those they hand on, in order; how many ran. */
        int runAll() {
            int ran = 0;
            while (!tasks.isEmpty()) {
                tasks.poll().run();
                ran++;
            }
            return ran;
        }
    }

    private static List<String> checkpoints(Path log) throws IOException {
        try (Stream<Path> entries = Files.list(log)) {
            return entries.map(entry -> entry.getFileName().toString()).filter(name -> name.endsWith(".checkpoint.parquet"))
                    .sorted().toList();
        }
    }

    @Test
    void aCommitThatFindsTheLogMovedIsRefusedNotMerged() throws Exception {
        DeltaTable table = TestTables.create(dir, "fenced", DatasetDefinition.of(AllTypes.SCHEMA, List.of()));
        table.appendGroup(List.of(new PendingAppend(files(table, 0, 5), new IdempotencyKey("owner", 1))), 0);
        CommitConflictException stale = assertThrows(CommitConflictException.class, () -> table.appendGroup(
                List.of(new PendingAppend(files(table, 5, 5), new IdempotencyKey("old-owner", 1))), 0));
        assertTrue(stale.getMessage().contains("another writer committed"), stale.getMessage());
        assertEquals(1, table.latestVersion());

        // Two owners of a split brain, both at version 1, commit at once: exactly one wins.
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 5; round++) {
                long expected = table.latestVersion();
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Boolean>> outcomes = new ArrayList<>();
                for (int w = 0; w < 2; w++) {
                    List<NewDataFile> batch = files(table, 100L * round + 10L * w, 5);
                    IdempotencyKey key = new IdempotencyKey("split-" + w, round);
                    DeltaTable handle = DeltaTable.at(table.storage(), table.root());
                    Callable<Boolean> commit = () -> {
                        go.await();
                        try {
                            handle.appendGroup(List.of(new PendingAppend(batch, key)), expected);
                            return true;
                        } catch (CommitConflictException e) {
                            return false;
                        }
                    };
                    outcomes.add(pool.submit(commit));
                }
                go.countDown();
                int winners = 0;
                for (Future<Boolean> outcome : outcomes) {
                    winners += outcome.get(1, TimeUnit.MINUTES) ? 1 : 0;
                }
                assertEquals(1, winners, "round " + round);
                assertEquals(expected + 1, table.latestVersion());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(5 + 5 * 5, table.snapshot().numRecords());
    }
}
