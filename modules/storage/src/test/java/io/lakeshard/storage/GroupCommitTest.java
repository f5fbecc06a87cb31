package io.lakeshard.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.table.CommitConflictException;
import io.lakeshard.storage.table.CommittedKey;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.GroupCommitResult;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.PendingAppend;
import io.lakeshard.storage.table.TableSettings;
import io.lakeshard.storage.write.NewDataFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
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
        DeltaTable table = TestTables.create(dir, "housekeeping", DatasetDefinition.of(AllTypes.SCHEMA, List.of()),
                new TableSettings(2, Duration.ofDays(30)));
        Deque<Runnable> held = new ArrayDeque<>();
        Executor housekeeping = held::add;
        Path checkpoint = Path.of(table.root()).resolve("_delta_log/00000000000000000002.checkpoint.parquet");

        for (long version = 1; version <= 3; version++) {
            assertEquals(version, table.appendGroup(List.of(new PendingAppend(files(table, version * 10, 10),
                    new IdempotencyKey("w", version))), version - 1, housekeeping).version());
        }
        assertFalse(Files.exists(checkpoint), "version 2's checkpoint is still to be written");
        assertEquals(1, held.size(), "one table's hooks run one at a time, in commit order");
        assertEquals(30, table.snapshot().numRecords(), "readers see every commit meanwhile");

        int ran = 0;
        while (!held.isEmpty()) {
            held.poll().run();
            ran++;
        }
        assertEquals(3, ran, "the hooks of every commit ran");
        assertTrue(Files.exists(checkpoint), "and wrote the checkpoint");
        assertEquals(30, TestTables.readAll(table, table.snapshot(), allocator).size());
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
