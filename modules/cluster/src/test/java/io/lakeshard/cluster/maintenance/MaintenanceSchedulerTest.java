package io.lakeshard.cluster.maintenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.NotUsed;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.RecipientRef;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResult;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import akka.stream.javadsl.Source;
import com.typesafe.config.ConfigFactory;
import io.lakeshard.cluster.JournalBackoff;
import io.lakeshard.cluster.TestClock;
import io.lakeshard.cluster.maintenance.MaintenanceScheduler.Command;
import io.lakeshard.cluster.maintenance.MaintenanceScheduler.Event;
import io.lakeshard.cluster.maintenance.MaintenanceScheduler.LeaseGranted;
import io.lakeshard.cluster.maintenance.MaintenanceScheduler.RegistryChanged;
import io.lakeshard.cluster.maintenance.MaintenanceScheduler.State;
import io.lakeshard.cluster.maintenance.MaintenanceScheduler.TableScheduled;
import io.lakeshard.cluster.maintenance.MaintenanceScheduler.TableUnscheduled;
import io.lakeshard.cluster.maintenance.MaintenanceScheduler.TaskCompleted;
import io.lakeshard.cluster.maintenance.MaintenanceScheduler.TaskFailed;
import io.lakeshard.cluster.maintenance.MaintenanceScheduler.TaskState;
import io.lakeshard.cluster.maintenance.MaintenanceScheduler.Tick;
import io.lakeshard.cluster.metrics.Metrics;
import io.lakeshard.cluster.registry.DatasetRecord;
import io.lakeshard.cluster.registry.DatasetRegistry;
import io.lakeshard.cluster.registry.DatasetSpec;
import io.lakeshard.cluster.table.TableEntity.RunTask;
import io.lakeshard.cluster.table.TableEntity;
import io.lakeshard.cluster.table.TableRef;
import io.lakeshard.storage.AllTypes;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The scheduler's protocol on an in-memory journal, with a clock the test moves and a probe for the table's writer. */
class MaintenanceSchedulerTest {
    private static final Instant START = Instant.parse("2026-03-01T10:00:00Z");
    private static final String TENANT = "acme";
    private static final DatasetName NAME = DatasetName.parse("obs.logs.lines");
    private static final MaintenanceScheduler.Settings SETTINGS = new MaintenanceScheduler.Settings(
            Duration.ofHours(1), Duration.ofMinutes(10), Duration.ofMinutes(1), Duration.ofDays(1));
    private static final MaintenancePolicy POLICY = MaintenancePolicy.defaults();
    private static final JournalBackoff BACKOFF = new JournalBackoff(Duration.ofMillis(100), Duration.ofSeconds(1));

    private final TestClock clock = new TestClock(START);
    private ActorTestKit actors;
    private TestProbe<TableEntity.Command> writer;
    private TestProbe<TableRef> purges;
    private EventSourcedBehaviorTestKit<Command, Event, State> scheduler;

    @BeforeEach
    void start() {
        actors = ActorTestKit.create(EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseString("""
                akka.actor.serialization-bindings { "io.lakeshard.cluster.CborSerializable" = jackson-cbor }
                """)));
        writer = actors.createTestProbe();
        purges = actors.createTestProbe();
        MaintenanceScheduler.Environment environment = new MaintenanceScheduler.Environment() {
            @Override
            public Source<RegistryChanged, NotUsed> registryEventsAfter(long offset) {
                return Source.empty();
            }

            @Override
            public RecipientRef<TableEntity.Command> writer(TableRef table) {
                return writer.ref();
            }

            @Override
            public CompletionStage<?> purge(TableRef table) {
                purges.ref().tell(table);
                return CompletableFuture.completedFuture(true);
            }
        };
        // Events and state must survive the journal's CBOR; commands are not checked, since RegistryChanged (an
        // event read from the journal) only ever travels from the scheduler's own stream to itself.
        scheduler = EventSourcedBehaviorTestKit.create(actors.system(),
                MaintenanceScheduler.create(SETTINGS, BACKOFF, clock, environment, new Metrics()),
                EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true).withVerifyCommands(false));
    }

    @AfterEach
    void stop() {
        actors.shutdownTestKit();
    }

    @Test
    void aRegisteredTableGetsItsPolicysTasksAPolicyIntervalAway() {
        TableScheduled scheduled = assertInstanceOf(TableScheduled.class, register(1, POLICY).event());
        assertEquals(Map.of(TaskType.OPTIMIZE, START.plus(POLICY.optimizeEvery()), TaskType.VACUUM, START.plus(POLICY.vacuumEvery())),
                scheduled.firstRuns(), "no retention: the default policy keeps every day");
        assertEquals(START.plus(POLICY.optimizeEvery()), task(TaskType.OPTIMIZE).nextRunAt());
        assertTrue(register(1, POLICY).hasNoEvents(), "an event read twice is ignored");

        MaintenancePolicy keepAWeek = new MaintenancePolicy(Duration.ofHours(2), Duration.ofHours(6), Duration.ofDays(7), 7);
        clock.advance(Duration.ofMinutes(5));
        CommandResult<Command, Event, State> updated = scheduler.runCommand(new RegistryChanged(2, TENANT,
                new DatasetRegistry.PolicyUpdated(NAME, keepAWeek)));
        assertEquals(START.plus(Duration.ofMinutes(5)).plus(Duration.ofDays(1)),
                assertInstanceOf(TableScheduled.class, updated.event()).firstRuns().get(TaskType.RETENTION));
        assertEquals(START.plus(POLICY.optimizeEvery()), task(TaskType.OPTIMIZE).nextRunAt(), "existing tasks keep their schedule");
        assertEquals(2, updated.state().offset());
    }

    @Test
    void aTableLakeshardDoesNotWriteGetsNoTasksButIsPurgedFromTheScheduleWhenDropped() {
        DatasetRecord record = new DatasetRecord(TENANT, NAME, "i1", DatasetSpec.of(DatasetDefinition.of(AllTypes.SCHEMA, List.of())),
                POLICY, clock.instant(), null, "file:/import/acme/t/", "deletion vectors: Lakeshard does not write tables with this feature");
        TableScheduled scheduled = assertInstanceOf(TableScheduled.class,
                scheduler.runCommand(new RegistryChanged(1, TENANT, new DatasetRegistry.Registered(record))).event());
        assertEquals(Map.of(), scheduled.firstRuns());
        assertEquals(record.ref(), scheduled.table());
        MaintenancePolicy changed = new MaintenancePolicy(Duration.ofHours(2), Duration.ofHours(6), Duration.ofDays(7), 0);
        scheduler.runCommand(new RegistryChanged(2, TENANT, new DatasetRegistry.PolicyUpdated(NAME, changed)));
        assertEquals(Map.of(), scheduler.getState().tables().get(record.ref().entityId()).tasks(), "a policy change gives it none");
        clock.advance(Duration.ofDays(1));
        assertTrue(scheduler.runCommand(Tick.INSTANCE).hasNoEvents(), "nothing is ever due");

        scheduler.runCommand(new RegistryChanged(3, TENANT, new DatasetRegistry.Dropped(NAME, clock.instant())));
        clock.advance(SETTINGS.purgeAfter());
        scheduler.runCommand(Tick.INSTANCE);
        assertEquals(record.ref(), purges.receiveMessage(), "the purge, which forgets an adopted table, is asked for");
    }

    @Test
    void aDueTaskIsLeasedOnceAndASuccessSchedulesTheNextRun() {
        register(1, POLICY);
        assertTrue(scheduler.runCommand(Tick.INSTANCE).hasNoEvents(), "nothing is due yet");
        clock.advance(POLICY.optimizeEvery());
        LeaseGranted grant = assertInstanceOf(LeaseGranted.class, scheduler.runCommand(Tick.INSTANCE).event());
        assertEquals(TaskType.OPTIMIZE, grant.type());
        assertEquals(new Lease(1, clock.instant().plus(SETTINGS.leaseDuration())), grant.lease());
        RunTask run = assertInstanceOf(RunTask.class, writer.receiveMessage());
        assertEquals(grant.lease(), run.lease());
        assertTrue(scheduler.runCommand(Tick.INSTANCE).hasNoEvents(), "a task under a valid lease is not leased again");

        clock.advance(Duration.ofMinutes(1));
        run.replyTo().tell(new TaskReport.Done(table(), TaskType.OPTIMIZE, 1, "optimize: files 3 -> 1"));
        TaskState done = scheduler.getState().tables().get(table().entityId()).tasks().get(TaskType.OPTIMIZE);
        assertEquals(clock.instant().plus(POLICY.optimizeEvery()), done.nextRunAt());
        assertNull(done.lease());
        assertEquals("done: optimize: files 3 -> 1", done.lastOutcome());

        run.replyTo().tell(new TaskReport.Failed(table(), TaskType.OPTIMIZE, 1, "late report of the same lease"));
        assertEquals(done, task(TaskType.OPTIMIZE), "a report for a lease no longer held changes nothing");
    }

    @Test
    void failuresBackOffExponentiallyAndAnExpiredLeaseIsLeasedAgain() {
        register(1, POLICY);
        clock.advance(POLICY.optimizeEvery());
        scheduler.runCommand(Tick.INSTANCE);
        RunTask first = assertInstanceOf(RunTask.class, writer.receiveMessage());
        first.replyTo().tell(new TaskReport.Refused(table(), TaskType.OPTIMIZE, 1, "busy with VACUUM"));
        TaskState failed = task(TaskType.OPTIMIZE);
        assertEquals(1, failed.failures());
        assertEquals(clock.instant().plus(Duration.ofMinutes(1)), failed.nextRunAt());
        assertEquals("refused: busy with VACUUM", failed.lastOutcome());

        clock.advance(Duration.ofMinutes(1));
        assertEquals(2, assertInstanceOf(LeaseGranted.class, scheduler.runCommand(Tick.INSTANCE).event()).lease().sequence());
        RunTask second = assertInstanceOf(RunTask.class, writer.receiveMessage());
        second.replyTo().tell(new TaskReport.Failed(table(), TaskType.OPTIMIZE, 2, "disk full"));
        assertEquals(clock.instant().plus(Duration.ofMinutes(2)), task(TaskType.OPTIMIZE).nextRunAt(), "the backoff doubles");

        // A lease whose writer never reports is granted again once it expired, with a higher sequence.
        clock.advance(Duration.ofMinutes(2));
        scheduler.runCommand(Tick.INSTANCE);
        writer.receiveMessage();
        clock.advance(SETTINGS.leaseDuration());
        assertEquals(4, assertInstanceOf(LeaseGranted.class, scheduler.runCommand(Tick.INSTANCE).event()).lease().sequence());
    }

    @Test
    void runNowMakesAKnownTaskDueAtOnce() {
        register(1, POLICY);
        assertFalse(scheduler.<Boolean>runCommand(replyTo -> new MaintenanceScheduler.RunNow(table(), TaskType.RETENTION, replyTo))
                .reply(), "the default policy has no retention task");
        assertTrue(scheduler.<Boolean>runCommand(replyTo -> new MaintenanceScheduler.RunNow(table(), TaskType.VACUUM, replyTo))
                .reply());
        RunTask run = assertInstanceOf(RunTask.class, writer.receiveMessage());
        assertEquals(TaskType.VACUUM, run.type());
        assertEquals(POLICY, run.policy());
    }

    @Test
    void aDroppedTableIsUnscheduledAndPurgedAfterTheGracePeriod() {
        register(1, POLICY);
        Instant droppedAt = START.plus(Duration.ofMinutes(3));
        CommandResult<Command, Event, State> dropped = scheduler.runCommand(new RegistryChanged(2, TENANT,
                new DatasetRegistry.Dropped(NAME, droppedAt)));
        assertEquals(droppedAt.plus(SETTINGS.purgeAfter()), assertInstanceOf(TableUnscheduled.class, dropped.event()).purgeAt());
        assertTrue(dropped.state().tables().isEmpty());

        clock.advance(Duration.ofHours(23));
        scheduler.runCommand(Tick.INSTANCE);
        purges.expectNoMessage(Duration.ofMillis(200));
        clock.advance(Duration.ofHours(2));
        scheduler.runCommand(Tick.INSTANCE);
        assertEquals(table(), purges.receiveMessage());
        purges.awaitAssert(() -> {
            assertTrue(scheduler.getState().purges().isEmpty(), "the purge is recorded");
            return null;
        });
    }

    @Test
    void theStateRecoveredFromTheJournalIsTheStateBeforeTheRestart() {
        register(1, POLICY);
        clock.advance(POLICY.optimizeEvery());
        scheduler.runCommand(Tick.INSTANCE);
        RunTask run = assertInstanceOf(RunTask.class, writer.receiveMessage());
        run.replyTo().tell(new TaskReport.Failed(table(), TaskType.OPTIMIZE, 1, "disk full"));
        State before = scheduler.getState();
        TaskFailed failed = (TaskFailed) scheduler.persistenceTestKit().persistedInStorage("MaintenanceScheduler").get(2);
        assertEquals(clock.instant().plus(Duration.ofMinutes(1)), failed.nextRunAt(), "the backoff travels in the event");

        // Replay must not read the clock: hours later, the schedule comes back exactly as it was.
        clock.advance(Duration.ofHours(5));
        assertEquals(before, scheduler.restart().state());
        assertEquals(List.of(TaskType.OPTIMIZE, TaskType.VACUUM), scheduler.<MaintenanceScheduler.Tasks>runCommand(
                MaintenanceScheduler.ListTasks::new).reply().tasks().stream().map(MaintenanceScheduler.TaskStatus::type).toList());
    }

    @Test
    void aSchedulerThatTookOverAsksTheWriterForTheOutcomeOfALeaseItDidNotGrant() {
        register(1, POLICY);
        clock.advance(POLICY.optimizeEvery());
        scheduler.runCommand(Tick.INSTANCE);
        RunTask lost = assertInstanceOf(RunTask.class, writer.receiveMessage());

        // The singleton fails over while the writer runs the task: its report went to the scheduler that is gone.
        scheduler.restart();
        TableEntity.GetTaskReport asked = assertInstanceOf(TableEntity.GetTaskReport.class, writer.receiveMessage());
        assertEquals(TaskType.OPTIMIZE, asked.type());
        assertEquals(lost.lease().sequence(), asked.leaseSequence());
        clock.advance(Duration.ofMinutes(1));
        asked.replyTo().tell(new TaskReport.Done(table(), TaskType.OPTIMIZE, 1, "optimize: files 3 -> 1"));
        TaskState done = task(TaskType.OPTIMIZE);
        assertNull(done.lease(), "known at once, not after the lease expired");
        assertEquals("done: optimize: files 3 -> 1", done.lastOutcome());
        assertEquals(clock.instant().plus(POLICY.optimizeEvery()), done.nextRunAt());

        // A writer that was still running answers later: the scheduler asks again on every tick until it knows.
        clock.advance(POLICY.optimizeEvery());
        scheduler.runCommand(Tick.INSTANCE);
        assertInstanceOf(RunTask.class, writer.receiveMessage());
        scheduler.restart();
        assertInstanceOf(TableEntity.GetTaskReport.class, writer.receiveMessage());
        scheduler.runCommand(Tick.INSTANCE);
        assertEquals(2, assertInstanceOf(TableEntity.GetTaskReport.class, writer.receiveMessage()).leaseSequence());
        scheduler.runCommand(Tick.INSTANCE);
        writer.receiveMessage();
    }

    @Test
    void aLeaseThisSchedulerGrantedIsNotAskedAbout() {
        register(1, POLICY);
        clock.advance(POLICY.optimizeEvery());
        scheduler.runCommand(Tick.INSTANCE);
        assertInstanceOf(RunTask.class, writer.receiveMessage());
        scheduler.runCommand(Tick.INSTANCE);
        writer.expectNoMessage(Duration.ofMillis(200));
    }

    @Test
    void eventsWrittenBeforeTheyCarriedTheirTimesReplayAsBefore() {
        Instant completedAt = START.plus(Duration.ofHours(1));
        scheduler.initialize(
                new TableScheduled(1, table(), POLICY, START, null),
                new LeaseGranted(table(), TaskType.OPTIMIZE, new Lease(1, completedAt.plusSeconds(60))),
                new TaskCompleted(table(), TaskType.OPTIMIZE, 1, completedAt, "optimize: files 2 -> 1", null),
                new LeaseGranted(table(), TaskType.VACUUM, new Lease(1, completedAt.plusSeconds(60))),
                new TaskFailed(table(), TaskType.VACUUM, 1, completedAt, "failed: disk full", null));
        assertEquals(completedAt.plus(POLICY.optimizeEvery()), task(TaskType.OPTIMIZE).nextRunAt());
        assertEquals(completedAt.plus(SETTINGS.initialBackoff()), task(TaskType.VACUUM).nextRunAt());
        assertEquals(1, task(TaskType.VACUUM).failures());
    }

    private CommandResult<Command, Event, State> register(long offset, MaintenancePolicy policy) {
        DatasetRecord record = new DatasetRecord(TENANT, NAME, "i1", DatasetSpec.of(DatasetDefinition.of(AllTypes.SCHEMA, List.of())),
                policy, clock.instant(), null, null, null);
        return scheduler.runCommand(new RegistryChanged(offset, TENANT, new DatasetRegistry.Registered(record)));
    }

    private static TableRef table() {
        return new TableRef(TENANT, NAME, "i1");
    }

    private TaskState task(TaskType type) {
        return scheduler.getState().tables().get(table().entityId()).tasks().get(type);
    }
}
