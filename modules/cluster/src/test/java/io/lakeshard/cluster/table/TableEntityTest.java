package io.lakeshard.cluster.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.pubsub.Topic;
import io.lakeshard.arrow.ArrowStreams;
import io.lakeshard.cluster.TestClock;
import io.lakeshard.cluster.maintenance.Lease;
import io.lakeshard.cluster.maintenance.TaskReport;
import io.lakeshard.cluster.maintenance.TaskType;
import io.lakeshard.cluster.metrics.Metrics;
import io.lakeshard.cluster.table.TableEntity.Command;
import io.lakeshard.cluster.table.TableEntity.RunTask;
import io.lakeshard.cluster.table.TableEntity.Write;
import io.lakeshard.cluster.table.TableEntity.WriteAck;
import io.lakeshard.cluster.table.TableEntity.WriteRejected;
import io.lakeshard.cluster.table.TableEntity.WriteReply;
import io.lakeshard.storage.AllTypes;
import io.lakeshard.storage.TestTables;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.TableSettings;
import io.lakeshard.storage.write.NewDataFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A table's writer as an actor over a real table in a temporary directory; its blocking work can be held at a gate. */
class TableEntityTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final TableRef REF = new TableRef("acme", DatasetName.parse("obs.logs.lines"), "i1");
    private static final MaintenancePolicy POLICY = MaintenancePolicy.defaults();

    @TempDir
    Path dir;
    private final TestClock clock = new TestClock(Instant.parse("2026-03-01T10:00:00Z"));
    private final ExecutorService threads = Executors.newFixedThreadPool(4);
    private final GatedExecutor blocking = new GatedExecutor(threads);
    private final BufferAllocator allocator = new RootAllocator();
    private ActorTestKit actors;
    private TestProbe<Topic.Command<TableVersion>> topic;
    private TableStore tables;
    private GroupWriter writer;

    @BeforeEach
    void start() throws Exception {
        actors = ActorTestKit.create();
        topic = actors.createTestProbe();
        tables = new TableStore(StorageRoot.local(dir), location -> StorageRoot.local(Path.of(location)), TableSettings.defaults(), blocking);
        writer = new GroupWriter(allocator, clock, Runnable::run);
        tables.create(REF, DatasetDefinition.of(AllTypes.SCHEMA, List.of())).get(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() {
        actors.shutdownTestKit();
        threads.shutdownNow();
        allocator.close();
    }

    @Test
    void writesArrivingDuringACommitAreCommittedTogetherAndEachIsAcknowledgedOnce() throws Exception {
        ActorRef<Command> entity = spawn(tables, writer);
        TestProbe<WriteReply> first = actors.createTestProbe();
        TestProbe<WriteReply> second = actors.createTestProbe();
        TestProbe<WriteReply> third = actors.createTestProbe();

        duringACommit(entity, write("a", 1, 0, first), write("b", 1, 100, second), write("c", 1, 200, third));

        assertEquals(new WriteAck(1, true, 10), first.receiveMessage(TIMEOUT));
        assertEquals(new WriteAck(2, true, 10), second.receiveMessage(TIMEOUT), "one group commit for both");
        assertEquals(new WriteAck(2, true, 10), third.receiveMessage(TIMEOUT));
        topic.expectMessage(TIMEOUT, Topic.publish(new TableVersion(REF, 1)));
        topic.expectMessage(TIMEOUT, Topic.publish(new TableVersion(REF, 2)));
        for (TestProbe<WriteReply> probe : List.of(first, second, third)) {
            probe.expectNoMessage(Duration.ofMillis(100));
        }
        assertEquals(2, committedVersion(entity));
        assertEquals(30, tables.table(REF).snapshot().numRecords());
    }

    @Test
    void aCommittedKeyIsAnsweredAsAReplayAndAnOlderOneIsRefused() {
        ActorRef<Command> entity = spawn(tables, writer);
        TestProbe<WriteReply> replies = actors.createTestProbe();
        entity.tell(write("loader", 5, 0, replies));
        assertEquals(new WriteAck(1, true, 10), replies.receiveMessage(TIMEOUT));
        entity.tell(write("loader", 5, 0, replies));
        assertEquals(new WriteAck(1, false, 10), replies.receiveMessage(TIMEOUT), "a retry: acknowledged, nothing written");
        entity.tell(write("loader", 4, 0, replies));
        WriteRejected older = (WriteRejected) replies.receiveMessage(TIMEOUT);
        assertFalse(older.retryable());
        assertEquals("idempotency_key.sequence", older.field());
        assertEquals(1, tables.table(REF).latestVersion());
        assertEquals(10, tables.table(REF).snapshot().numRecords());
    }

    @Test
    void leasedTasksRunOneAtATimeAndStaleOrExpiredLeasesAreRefused() throws Exception {
        ActorRef<Command> entity = spawn(tables, writer);
        TestProbe<WriteReply> replies = actors.createTestProbe();
        for (int i = 1; i <= 3; i++) {
            entity.tell(write("loader", i, i * 100L, replies));
            replies.expectMessage(TIMEOUT, new WriteAck(i, true, 10));
        }
        TestProbe<TaskReport> reports = actors.createTestProbe();
        entity.tell(task(TaskType.OPTIMIZE, 5, Duration.ofHours(1), reports));
        TaskReport.Done optimized = (TaskReport.Done) reports.receiveMessage(TIMEOUT);
        assertTrue(optimized.summary().startsWith("optimize: files 3 -> 1, rows 30 -> 30"), optimized.summary());
        assertEquals(4, committedVersion(entity), "the rewrite was committed between group commits");

        entity.tell(task(TaskType.OPTIMIZE, 4, Duration.ofHours(1), reports));
        assertRefused(reports, "lease 4 is stale; lease 5 was granted since");
        entity.tell(task(TaskType.OPTIMIZE, 9, Duration.ofSeconds(-1), reports));
        assertRefused(reports, "lease 9 expired");
        entity.tell(task(TaskType.of("TAIL_SAMPLING"), 1, Duration.ofHours(1), reports));
        assertRefused(reports, "this node does not know the task TAIL_SAMPLING");

        blocking.pause();
        entity.tell(task(TaskType.VACUUM, 1, Duration.ofHours(1), reports));
        blocking.awaitHeld(1, TIMEOUT);
        entity.tell(task(TaskType.OPTIMIZE, 6, Duration.ofHours(1), reports));
        assertRefused(reports, "busy with VACUUM");
        blocking.resume();
        TaskReport.Done vacuumed = (TaskReport.Done) reports.receiveMessage(TIMEOUT);
        assertEquals(new TaskReport.Done(REF, TaskType.VACUUM, 1, "deleted 0 files, 0 bytes"), vacuumed,
                "replaced files stay within the retention");
    }

    @Test
    void theWriterAnswersForTheOutcomeOfALeaseAndFencesALeaseItNeverRan() throws Exception {
        ActorRef<Command> entity = spawn(tables, writer);
        TestProbe<TaskReport> reports = actors.createTestProbe();
        TestProbe<TaskReport> asker = actors.createTestProbe();
        entity.tell(task(TaskType.VACUUM, 3, Duration.ofHours(1), reports));
        TaskReport vacuumed = reports.receiveMessage(TIMEOUT);

        // A scheduler that took over asks: the report its predecessor got is answered again.
        entity.tell(new TableEntity.GetTaskReport(TaskType.VACUUM, 3, asker.ref()));
        assertEquals(vacuumed, asker.receiveMessage(TIMEOUT));

        // A lease the writer never saw (lost on the way, or the writer restarted) is refused, and a late copy of
        // it cannot run: the new scheduler leases the task again.
        entity.tell(new TableEntity.GetTaskReport(TaskType.OPTIMIZE, 7, asker.ref()));
        TaskReport lost = asker.receiveMessage(TIMEOUT);
        assertEquals(TaskReport.Refused.class, lost.getClass(), lost.toString());
        entity.tell(task(TaskType.OPTIMIZE, 7, Duration.ofHours(1), reports));
        assertRefused(reports, "lease 7 is stale; lease 8 was granted since");

        // While the lease's task runs there is nothing to answer yet.
        blocking.pause();
        entity.tell(task(TaskType.OPTIMIZE, 8, Duration.ofHours(1), reports));
        blocking.awaitHeld(1, TIMEOUT);
        entity.tell(new TableEntity.GetTaskReport(TaskType.OPTIMIZE, 8, asker.ref()));
        asker.expectNoMessage(Duration.ofMillis(200));
        blocking.resume();
        TaskReport optimized = reports.receiveMessage(TIMEOUT);
        entity.tell(new TableEntity.GetTaskReport(TaskType.OPTIMIZE, 8, asker.ref()));
        assertEquals(optimized, asker.receiveMessage(TIMEOUT));
    }

    @Test
    void passivationWaitsForTheCommitInFlight() throws Exception {
        ActorRef<Command> entity = spawn(tables, writer);
        assertEquals(0, committedVersion(entity));
        TestProbe<WriteReply> replies = actors.createTestProbe();
        TestProbe<Object> watcher = actors.createTestProbe();

        blocking.pause();
        entity.tell(write("loader", 1, 0, replies));
        blocking.awaitHeld(1, TIMEOUT);
        entity.tell(TableEntity.Passivate.INSTANCE);
        blocking.resume();

        assertEquals(new WriteAck(1, true, 10), replies.receiveMessage(TIMEOUT), "the reply is not lost to the stop");
        watcher.expectTerminated(entity, TIMEOUT);
        assertEquals(1, tables.table(REF).latestVersion());
    }

    @Test
    void aWriterStartedAgainOnTheSameTableResumesAtTheCommittedVersion() throws Exception {
        ActorRef<Command> entity = spawn(tables, writer);
        TestProbe<WriteReply> replies = actors.createTestProbe();
        commitInTurn(entity, replies, write("loader", 1, 0, replies), write("loader", 2, 100, replies));

        ActorRef<Command> restarted = restartElsewhere(entity);
        assertEquals(2, committedVersion(restarted));
        restarted.tell(write("loader", 2, 100, replies));
        assertEquals(new WriteAck(2, false, 10), replies.receiveMessage(TIMEOUT), "the last key is known from the log");
        restarted.tell(write("loader", 3, 200, replies));
        assertEquals(new WriteAck(3, true, 10), replies.receiveMessage(TIMEOUT));
        assertEquals(30, tables.table(REF).snapshot().numRecords());
    }

    @Test
    void aRetryInTheSameGroupCommitAsItsFirstAttemptIsCommittedOnceAndBothAreAcknowledged() throws Exception {
        ActorRef<Command> entity = spawn(tables, writer);
        TestProbe<WriteReply> holding = actors.createTestProbe();
        TestProbe<WriteReply> attempt = actors.createTestProbe();
        TestProbe<WriteReply> retry = actors.createTestProbe();

        // The first attempt timed out at the client while waiting behind the commit in flight; the retry joins it.
        duringACommit(entity, write("other", 1, 0, holding), write("loader", 7, 100, attempt), write("loader", 7, 100, 4, retry));

        assertEquals(new WriteAck(1, true, 10), holding.receiveMessage(TIMEOUT));
        assertEquals(new WriteAck(2, true, 10), attempt.receiveMessage(TIMEOUT));
        assertEquals(new WriteAck(2, false, 10), retry.receiveMessage(TIMEOUT),
                "the copy is a replay of the first: its version and its rows");
        assertEquals(20, tables.table(REF).snapshot().numRecords(), "committed once");
        entity.tell(write("loader", 7, 100, retry));
        assertEquals(new WriteAck(2, false, 10), retry.receiveMessage(TIMEOUT), "the same answer afterwards");
    }

    /**
     * A bulk write's message sent again while a member was lost (the resending ask) carries the very files its first
     * delivery commits: a copy in the same group commit, one after it, and an older key's copy after the next
     * commit all leave those files where they are, and every committed row stays readable.
     */
    @Test
    void copiesOfABulkWriteNeverDeleteTheFilesItCommitted() throws Exception {
        ActorRef<Command> entity = spawn(tables, writer);
        TestProbe<WriteReply> holding = actors.createTestProbe();
        TestProbe<WriteReply> first = actors.createTestProbe();
        TestProbe<WriteReply> copy = actors.createTestProbe();
        Write bulk = bulk("importer", 1, 0, first);
        Write again = new Write(bulk.files(), null, bulk.key(), bulk.rows(), copy.ref());

        duringACommit(entity, write("other", 1, 0, holding), bulk, again);

        assertEquals(new WriteAck(1, true, 10), holding.receiveMessage(TIMEOUT));
        assertEquals(new WriteAck(2, true, 10), first.receiveMessage(TIMEOUT));
        assertEquals(new WriteAck(2, false, 10), copy.receiveMessage(TIMEOUT), "the copy in the same commit");
        entity.tell(again);
        assertEquals(new WriteAck(2, false, 10), copy.receiveMessage(TIMEOUT), "a copy after the commit: a replay");
        entity.tell(bulk("importer", 2, 100, first));
        assertEquals(new WriteAck(3, true, 10), first.receiveMessage(TIMEOUT));
        entity.tell(again);
        assertFalse(((WriteRejected) copy.receiveMessage(TIMEOUT)).retryable(), "a copy of an older key: refused");

        DeltaTable table = tables.table(REF);
        for (NewDataFile file : bulk.files()) {
            assertTrue(Files.exists(Path.of(table.root().resolve(file.relativePath()))), "committed file " + file.relativePath() + " is there");
        }
        assertEquals(30, TestTables.readAll(table, table.snapshot(), allocator).size(), "every committed row reads back");
    }

    @Test
    void aReplayIsAnsweredWithTheVersionAndRowsThatCommittedItWhateverItCarries() {
        ActorRef<Command> entity = spawn(tables, writer);
        TestProbe<WriteReply> replies = actors.createTestProbe();
        commitInTurn(entity, replies, write("loader", 1, 0, replies), write("other", 1, 100, replies));

        entity.tell(write("loader", 1, 0, replies));
        assertEquals(new WriteAck(1, false, 10), replies.receiveMessage(TIMEOUT), "version 1 holds the rows, not 2");
        entity.tell(write("loader", 1, 500, 3, replies));
        assertEquals(new WriteAck(1, false, 10), replies.receiveMessage(TIMEOUT),
                "a different payload under a committed key: the answer is what was committed");
        assertEquals(20, tables.table(REF).snapshot().numRecords());
    }

    @Test
    void aKeyIsAnsweredTheSameBeforeAndAfterTheWriterRestarts() throws Exception {
        ActorRef<Command> entity = spawn(tables, writer);
        TestProbe<WriteReply> replies = actors.createTestProbe();
        commitInTurn(entity, replies, write("loader", 1, 0, replies), write("loader", 2, 100, replies),
                write("other", 1, 200, replies));
        List<WriteReply> before = answers(entity, replies);

        List<WriteReply> after = answers(restartElsewhere(entity), replies);

        assertEquals(new WriteAck(2, false, 10), after.get(0), "the last key: a replay of version 2 and its 10 rows");
        assertEquals(new WriteAck(2, false, 10), after.get(1), "whatever the retry carries");
        WriteRejected older = (WriteRejected) after.get(2);
        assertEquals("idempotency_key.sequence", older.field(), "a key below the last one is refused");
        assertEquals(before, after);
        assertEquals(30, tables.table(REF).snapshot().numRecords());
    }

    @Test
    void unkeyedWritesCommitEachTimeTheyArriveBesideKeyedOnesAndRecordNoKey() throws Exception {
        ActorRef<Command> entity = spawn(tables, writer);
        TestProbe<WriteReply> holding = actors.createTestProbe();
        TestProbe<WriteReply> keyed = actors.createTestProbe();
        TestProbe<WriteReply> unkeyed = actors.createTestProbe();
        TestProbe<WriteReply> again = actors.createTestProbe();

        duringACommit(entity, unkeyed(0, holding), write("loader", 1, 100, keyed), unkeyed(200, unkeyed), unkeyed(200, again));

        assertEquals(new WriteAck(1, true, 10), holding.receiveMessage(TIMEOUT));
        assertEquals(new WriteAck(2, true, 10), keyed.receiveMessage(TIMEOUT));
        assertEquals(new WriteAck(2, true, 10), unkeyed.receiveMessage(TIMEOUT));
        assertEquals(new WriteAck(2, true, 10), again.receiveMessage(TIMEOUT), "nothing to recognise a retry by: applied too");
        assertEquals(40, tables.table(REF).snapshot().numRecords(), "one file of 30 rows coalesced beside the first commit");
        assertEquals(1, tables.table(REF).lastSequence("loader").orElseThrow(), "the keyed write's key is recorded");
        entity.tell(write("loader", 1, 100, keyed));
        assertEquals(new WriteAck(2, false, 10), keyed.receiveMessage(TIMEOUT), "and answered as a replay");
    }

    /** What the writer answers to the last key of "loader" sent again, the same key with other rows, and the key before. */
    private List<WriteReply> answers(ActorRef<Command> entity, TestProbe<WriteReply> replies) {
        entity.tell(write("loader", 2, 100, replies));
        WriteReply same = replies.receiveMessage(TIMEOUT);
        entity.tell(write("loader", 2, 900, 4, replies));
        WriteReply different = replies.receiveMessage(TIMEOUT);
        entity.tell(write("loader", 1, 0, replies));
        return List.of(same, different, replies.receiveMessage(TIMEOUT));
    }

    /** Sends {@code first} and holds its commit in flight while {@code joining} arrive: they go into the next commit. */
    private void duringACommit(ActorRef<Command> entity, Write first, Write... joining) throws InterruptedException {
        // Once the writer has loaded, the gate holds the commit rather than the load.
        assertEquals(0, committedVersion(entity));
        blocking.pause();
        entity.tell(first);
        blocking.awaitHeld(1, TIMEOUT);
        for (Write write : joining) {
            entity.tell(write);
        }
        blocking.resume();
    }

    /** Sends the writes one after the other, each acknowledged as the next version's commit of its ten rows. */
    private void commitInTurn(ActorRef<Command> entity, TestProbe<WriteReply> replies, Write... writes) {
        long version = committedVersion(entity);
        for (Write write : writes) {
            entity.tell(write);
            replies.expectMessage(TIMEOUT, new WriteAck(++version, true, 10));
        }
    }

    /**
     * Stops the writer and starts it again as on another node: its own view of the storage and its own group writer,
     * knowing nothing of the keys.
     */
    private ActorRef<Command> restartElsewhere(ActorRef<Command> entity) {
        entity.tell(TableEntity.Passivate.INSTANCE);
        actors.createTestProbe().expectTerminated(entity, TIMEOUT);
        return spawn(new TableStore(StorageRoot.local(dir), location -> StorageRoot.local(Path.of(location)), TableSettings.defaults(), blocking), new GroupWriter(allocator, clock, Runnable::run));
    }

    private ActorRef<Command> spawn(TableStore store, GroupWriter groupWriter) {
        return actors.spawn(TableEntity.create(REF, store, groupWriter, topic.ref(), new Metrics(), clock));
    }

    private long committedVersion(ActorRef<Command> entity) {
        TestProbe<Long> probe = actors.createTestProbe();
        entity.tell(new TableEntity.GetCommittedVersion(probe.ref()));
        return probe.receiveMessage(TIMEOUT);
    }

    /** Rows sent inline as Arrow IPC, as a small batch travels: ten unless told. */
    private Write write(String appId, long sequence, long firstRow, TestProbe<WriteReply> replyTo) {
        return write(appId, sequence, firstRow, 10, replyTo);
    }

    private Write write(String appId, long sequence, long firstRow, int rows, TestProbe<WriteReply> replyTo) {
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, firstRow, rows)) {
            return new Write(List.of(), ArrowStreams.write(batch), Optional.of(new IdempotencyKey(appId, sequence)), rows, replyTo.ref());
        }
    }

    /** Rows written as files first, as the receiving node does with a large batch: ten of them. */
    private Write bulk(String appId, long sequence, long firstRow, TestProbe<WriteReply> replyTo) {
        DeltaTable table = tables.table(REF);
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, firstRow, 10)) {
            List<NewDataFile> files = TestTables.write(table, allocator, batch);
            return new Write(files, null, Optional.of(new IdempotencyKey(appId, sequence)), 10, replyTo.ref());
        }
    }

    private Write unkeyed(long firstRow, TestProbe<WriteReply> replyTo) {
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, firstRow, 10)) {
            return new Write(List.of(), ArrowStreams.write(batch), Optional.empty(), 10, replyTo.ref());
        }
    }

    private RunTask task(TaskType type, long sequence, Duration leaseLeft, TestProbe<TaskReport> replyTo) {
        return new RunTask(type, new Lease(sequence, clock.instant().plus(leaseLeft)), POLICY, replyTo.ref());
    }

    private static void assertRefused(TestProbe<TaskReport> reports, String reason) {
        TaskReport report = reports.receiveMessage(TIMEOUT);
        assertEquals(TaskReport.Refused.class, report.getClass(), report.toString());
        assertEquals(reason, ((TaskReport.Refused) report).reason());
    }
}
