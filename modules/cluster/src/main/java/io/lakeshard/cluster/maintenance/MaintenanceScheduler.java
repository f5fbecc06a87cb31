package io.lakeshard.cluster.maintenance;

import static java.util.Objects.requireNonNull;

import akka.NotUsed;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.PreRestart;
import akka.actor.typed.RecipientRef;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.typed.ClusterSingleton;
import akka.cluster.typed.ClusterSingletonSettings;
import akka.cluster.typed.SingletonActor;
import akka.pattern.Patterns;
import akka.persistence.jdbc.query.javadsl.JdbcReadJournal;
import akka.persistence.query.Offset;
import akka.persistence.query.PersistenceQuery;
import akka.persistence.query.Sequence;
import akka.persistence.typed.PersistenceId;
import akka.persistence.typed.RecoveryCompleted;
import akka.persistence.typed.javadsl.CommandHandler;
import akka.persistence.typed.javadsl.Effect;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehavior;
import akka.persistence.typed.javadsl.RetentionCriteria;
import akka.persistence.typed.javadsl.SignalHandler;
import akka.stream.KillSwitches;
import akka.stream.RestartSettings;
import akka.stream.UniqueKillSwitch;
import akka.stream.javadsl.Keep;
import akka.stream.javadsl.RestartSource;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import io.lakeshard.cluster.CborSerializable;
import io.lakeshard.cluster.JournalBackoff;
import io.lakeshard.cluster.metrics.Metrics;
import io.lakeshard.cluster.registry.DatasetRecord;
import io.lakeshard.cluster.registry.DatasetRegistry;
import io.lakeshard.cluster.registry.RegistryClient;
import io.lakeshard.cluster.table.TableEntity;
import io.lakeshard.cluster.table.TableRef;
import io.lakeshard.cluster.table.TableStore;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The cluster's one maintenance scheduler (a Cluster Singleton), event-sourced so its next-run times and leases
 * survive restarts and fail-overs. It follows every tenant's registry through the journal's tagged events, leases
 * each due task to the table's writer with an expiry, and re-leases only what expired; failures back off. Every time
 * is read from the clock when a command is handled and carried in the event, so a replay rebuilds the same state.
 * Which tasks exist, and how often they run, is {@link MaintenanceTasks}'.
 */
public final class MaintenanceScheduler extends EventSourcedBehavior<MaintenanceScheduler.Command, MaintenanceScheduler.Event, MaintenanceScheduler.State> {
    private static final Duration MAX_BACKOFF = Duration.ofHours(1);

    public sealed interface Command extends CborSerializable {}

    /** A registry event, as the scheduler reads it from the journal at {@code offset}. */
    public record RegistryChanged(long offset, String tenant, DatasetRegistry.Event event) implements Command {}

    /** Look for due tasks and purges; the timer sends it. */
    enum Tick implements Command { INSTANCE }

    private record Reported(TaskReport report) implements Command {}

    private record PurgeFinished(TableRef table, Throwable error) implements Command {}

    public record ListTasks(ActorRef<Tasks> replyTo) implements Command {}

    /** The reply to {@link ListTasks}: a record, since a bare list has no serializer across nodes. */
    public record Tasks(List<TaskStatus> tasks) implements CborSerializable {}

    public record RunNow(TableRef table, TaskType type, ActorRef<Boolean> replyTo) implements Command {}

    /** One task as operators see it. */
    public record TaskStatus(TableRef table, TaskType type, Instant nextRunAt, long leaseSequence, Instant leaseExpiresAt,
            int failures, String lastOutcome) implements CborSerializable {}

    public sealed interface Event extends CborSerializable {}

    /**
     * A table's policy, new or changed. {@code firstRuns} holds every task the policy gives the table and when it
     * first runs if it is new to the table (tasks it already has keep their schedule). Null in events written before
     * it was carried: then it is derived from the policy, as it was when they were written.
     */
    public record TableScheduled(long offset, TableRef table, MaintenancePolicy policy, Instant at, Map<TaskType, Instant> firstRuns)
            implements Event {}

    /** A dropped dataset: no more maintenance; its files are purged at {@code purgeAt}. */
    public record TableUnscheduled(long offset, TableRef table, Instant purgeAt) implements Event {}

    public record TablePurged(TableRef table) implements Event {}

    public record OffsetSeen(long offset) implements Event {}

    public record LeaseGranted(TableRef table, TaskType type, Lease lease) implements Event {}

    /** @param nextRunAt a policy interval after {@code at}; null in events written before it was carried */
    public record TaskCompleted(TableRef table, TaskType type, long leaseSequence, Instant at, String outcome, Instant nextRunAt)
            implements Event {}

    /** @param nextRunAt {@code at} plus the backoff; null in events written before it was carried */
    public record TaskFailed(TableRef table, TaskType type, long leaseSequence, Instant at, String outcome, Instant nextRunAt)
            implements Event {}

    public record RunRequested(TableRef table, TaskType type, Instant at) implements Event {}

    /** The schedule of one table's tasks. */
    public record TaskState(Instant nextRunAt, Lease lease, long lastLeaseSequence, int failures, String lastOutcome)
            implements CborSerializable {
        TaskState leased(Lease value) {
            return new TaskState(nextRunAt, value, value.sequence(), failures, lastOutcome);
        }

        TaskState completed(Instant next, String outcome) {
            return new TaskState(next, null, lastLeaseSequence, 0, outcome);
        }

        TaskState failed(Instant next, String outcome) {
            return new TaskState(next, null, lastLeaseSequence, failures + 1, outcome);
        }

        TaskState dueAt(Instant time) {
            return new TaskState(time, lease, lastLeaseSequence, failures, lastOutcome);
        }
    }

    public record TableSchedule(TableRef table, MaintenancePolicy policy, Map<TaskType, TaskState> tasks) implements CborSerializable {}

    public record State(long offset, Map<String, TableSchedule> tables, Map<String, Purge> purges) implements CborSerializable {
        static State empty() {
            return new State(0, Map.of(), Map.of());
        }

        State withPurge(Purge purge) {
            Map<String, Purge> next = new HashMap<>(purges);
            next.put(purge.table().entityId(), purge);
            return new State(offset, tables, Map.copyOf(next));
        }

        State purged(TableRef table) {
            Map<String, Purge> next = new HashMap<>(purges);
            next.remove(table.entityId());
            return new State(offset, tables, Map.copyOf(next));
        }

        State withTable(TableSchedule schedule, long newOffset) {
            Map<String, TableSchedule> next = new HashMap<>(tables);
            next.put(schedule.table().entityId(), schedule);
            return new State(Math.max(offset, newOffset), Map.copyOf(next), purges);
        }

        State seen(long newOffset) {
            return new State(Math.max(offset, newOffset), tables, purges);
        }

        /** The state with one task changed; unchanged if the table or task is not scheduled. */
        State withTask(TableRef table, TaskType type, UnaryOperator<TaskState> change) {
            TableSchedule schedule = tables.get(table.entityId());
            TaskState task = schedule == null ? null : schedule.tasks().get(type);
            if (task == null) {
                return this;
            }
            Map<TaskType, TaskState> tasks = new HashMap<>(schedule.tasks());
            tasks.put(type, change.apply(task));
            return withTable(new TableSchedule(table, schedule.policy(), Map.copyOf(tasks)), offset);
        }

        State without(TableRef table, long newOffset) {
            Map<String, TableSchedule> next = new HashMap<>(tables);
            next.remove(table.entityId());
            return new State(Math.max(offset, newOffset), Map.copyOf(next), purges);
        }

        Optional<TaskState> task(TableRef table, TaskType type) {
            return Optional.ofNullable(tables.get(table.entityId())).map(schedule -> schedule.tasks().get(type));
        }
    }

    /** A dropped table's files, deleted once the grace period is over. */
    public record Purge(TableRef table, Instant dueAt) implements CborSerializable {}

    /** Settings: how often due tasks are looked for and how long a lease lasts. */
    public record Settings(Duration tickInterval, Duration leaseDuration, Duration initialBackoff, Duration purgeAfter) {}

    /** What the scheduler acts on beyond its own state; {@link #inCluster} in a node. */
    public interface Environment {
        /** Every registry event after {@code offset}, now and as they are written. */
        Source<RegistryChanged, NotUsed> registryEventsAfter(long offset);

        /** The writer of {@code table}, wherever it runs. */
        RecipientRef<TableEntity.Command> writer(TableRef table);

        /** Deletes a dropped table's files, then tells its registry. */
        CompletionStage<?> purge(TableRef table);

        /**
         * The journal's tagged registry events, the sharded writers, the shared storage and the registry. The events
         * survive a journal outage: the query starts again, with back-off, after the last event it delivered.
         */
        static Environment inCluster(ActorSystem<?> system, TableStore tables, RegistryClient registry, JournalBackoff backoff) {
            ClusterSharding sharding = ClusterSharding.get(system);
            return new Environment() {
                @Override
                public Source<RegistryChanged, NotUsed> registryEventsAfter(long offset) {
                    // Looked up here, on the singleton's node only: the read journal polls the database once started.
                    JdbcReadJournal journal = PersistenceQuery.get(system)
                            .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
                    AtomicLong delivered = new AtomicLong(offset);
                    return RestartSource.onFailuresWithBackoff(RestartSettings.create(backoff.min(), backoff.max(), 0.2),
                            () -> journal.eventsByTag(DatasetRegistry.TAG, Offset.sequence(delivered.get())).map(envelope -> {
                                long at = ((Sequence) envelope.offset()).value();
                                delivered.accumulateAndGet(at, Math::max);
                                return new RegistryChanged(at,
                                        envelope.persistenceId().substring(envelope.persistenceId().indexOf('|') + 1),
                                        (DatasetRegistry.Event) envelope.event());
                            }));
                }

                @Override
                public RecipientRef<TableEntity.Command> writer(TableRef table) {
                    return sharding.entityRefFor(TableEntity.ENTITY_KEY, table.entityId());
                }

                @Override
                public CompletionStage<?> purge(TableRef table) {
                    return tables.purge(table).thenCompose(deleted ->
                            registry.markPurged(table.tenant(), table.name(), table.incarnation()));
                }
            };
        }
    }

    /** Lists the tasks of all tables. */
    public static CompletionStage<List<TaskStatus>> listTasks(ActorSystem<?> system, ActorRef<Command> scheduler, Duration timeout) {
        return AskPattern.ask(scheduler, ListTasks::new, timeout, system.scheduler()).thenApply(Tasks::tasks);
    }

    /** Makes a task due now; false if the table has no such task. */
    public static CompletionStage<Boolean> runNow(ActorSystem<?> system, ActorRef<Command> scheduler,
            TableRef table, TaskType type, Duration timeout) {
        return AskPattern.ask(scheduler, replyTo -> new RunNow(table, type, replyTo), timeout, system.scheduler());
    }

    /**
     * Makes a task due now and waits for its run to end: the task still runs under a lease, so never twice at once.
     * Completes with the task's status after the run, or fails after {@code timeout}. The caller has seen the table
     * (and, for retention, a policy that keeps limited days) in the registry; the scheduler learns of registrations
     * and policy changes from the journal a moment later, so a task it does not know yet is waited for.
     */
    public static CompletionStage<TaskStatus> runNowAndWait(ActorSystem<?> system, ActorRef<Command> scheduler,
            TableRef table, TaskType type, Duration timeout) {
        long deadlineNanos = System.nanoTime() + timeout.toNanos();
        return awaitScheduled(system, scheduler, table, type, deadlineNanos).thenCompose(previous ->
                runNow(system, scheduler, table, type, Duration.ofSeconds(5))
                        .thenCompose(ok -> awaitRun(system, scheduler, table, type, previous, deadlineNanos)));
    }

    /** The task's current lease sequence, once the scheduler knows the task. */
    private static CompletionStage<Long> awaitScheduled(ActorSystem<?> system, ActorRef<Command> scheduler,
            TableRef table, TaskType type, long deadlineNanos) {
        return pollTasks(system, scheduler, deadlineNanos, tasks -> task(tasks, table, type).map(TaskStatus::leaseSequence),
                "the scheduler has not learned of " + type + " for " + table.name() + " in time");
    }

    /** The task's status once a run under a newer lease than {@code previousLease} has ended. */
    private static CompletionStage<TaskStatus> awaitRun(ActorSystem<?> system, ActorRef<Command> scheduler,
            TableRef table, TaskType type, long previousLease, long deadlineNanos) {
        return pollTasks(system, scheduler, deadlineNanos,
                tasks -> Optional.of(task(tasks, table, type).orElseThrow())
                        .filter(status -> status.leaseSequence() > previousLease && status.leaseExpiresAt() == null),
                type + " of " + table.name() + " did not finish in time; it goes on, see the task list");
    }

    private static Optional<TaskStatus> task(List<TaskStatus> tasks, TableRef table, TaskType type) {
        return tasks.stream().filter(t -> t.table().equals(table) && t.type().equals(type)).findFirst();
    }

    /** Reads the task list every 100 ms until {@code found} finds what it waits for; fails with {@code late} after the deadline. */
    private static <T> CompletionStage<T> pollTasks(ActorSystem<?> system, ActorRef<Command> scheduler,
            long deadlineNanos, Function<List<TaskStatus>, Optional<T>> found, String late) {
        return listTasks(system, scheduler, Duration.ofSeconds(5)).thenCompose(tasks -> {
            Optional<T> result = found.apply(tasks);
            if (result.isPresent()) {
                return CompletableFuture.completedFuture(result.get());
            }
            if (System.nanoTime() - deadlineNanos > 0) {
                return CompletableFuture.failedFuture(new MaintenanceTimeoutException(late));
            }
            return Patterns.after(Duration.ofMillis(100), system.classicSystem().scheduler(), system.executionContext(),
                    () -> pollTasks(system, scheduler, deadlineNanos, found, late));
        });
    }

    /**
     * Starts the singleton (on the oldest member of {@code role}); a failure restarts it with back-off, since the
     * singleton's manager does not start a stopped singleton again.
     */
    public static ActorRef<Command> init(ActorSystem<?> system, Settings settings, JournalBackoff backoff, String role,
            TableStore tables, RegistryClient registry, Metrics metrics, Clock clock) {
        Behavior<Command> scheduler = Behaviors.setup(context -> create(settings, backoff, clock,
                Environment.inCluster(context.getSystem(), tables, registry, backoff), metrics));
        return ClusterSingleton.get(system).init(SingletonActor.of(
                        Behaviors.supervise(scheduler).onFailure(backoff.strategy()), "maintenance-scheduler")
                .withSettings(ClusterSingletonSettings.create(system).withRole(role)));
    }

    public static Behavior<Command> create(Settings settings, JournalBackoff backoff, Clock clock, Environment environment,
            Metrics metrics) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                new MaintenanceScheduler(context, timers, settings, backoff, clock, environment, metrics)));
    }

    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final Settings settings;
    private final Clock clock;
    private final Environment environment;
    private final Metrics metrics;
    private final ActorRef<TaskReport> reports;
    private final Set<String> purgesRunning = new HashSet<>();
    // Leases this incarnation dispatched: their reports come to it. Any other lease was granted by a predecessor.
    private final Set<String> dispatched = new HashSet<>();
    private UniqueKillSwitch registryEvents;

    private MaintenanceScheduler(ActorContext<Command> context, TimerScheduler<Command> timers, Settings settings,
            JournalBackoff backoff, Clock clock, Environment environment, Metrics metrics) {
        super(PersistenceId.ofUniqueId("MaintenanceScheduler"), backoff.strategy());
        this.context = context;
        this.timers = timers;
        this.settings = requireNonNull(settings, "settings is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.environment = requireNonNull(environment, "environment is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.reports = context.messageAdapter(TaskReport.class, Reported::new);
    }

    @Override
    public State emptyState() {
        return State.empty();
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return RetentionCriteria.snapshotEvery(200, 2);
    }

    @Override
    public SignalHandler<State> signalHandler() {
        return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), state -> {
            ActorRef<Command> self = context.getSelf();
            // Recovered again after the journal failed a write: the stream of the previous run must not go on beside this one.
            stopRegistryEvents();
            registryEvents = environment.registryEventsAfter(state.offset()).viaMat(KillSwitches.single(), Keep.right())
                    .to(Sink.foreach(self::tell)).run(context.getSystem());
            // What was dispatched before the recovery may have been reported to nobody.
            dispatched.clear();
            askForInheritedReports(state);
            timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.tickInterval());
        }).onSignal(PreRestart.instance(), state -> stopRegistryEvents())
                .onSignal(PostStop.instance(), state -> stopRegistryEvents()).build();
    }

    private void stopRegistryEvents() {
        if (registryEvents != null) {
            registryEvents.shutdown();
            registryEvents = null;
        }
    }

    @Override
    public CommandHandler<Command, Event, State> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(RegistryChanged.class, this::onRegistryChanged)
                .onCommand(Tick.class, this::onTick)
                .onCommand(Reported.class, this::onReport)
                .onCommand(ListTasks.class, (state, list) -> Effect().reply(list.replyTo(), new Tasks(statuses(state))))
                .onCommand(RunNow.class, this::onRunNow)
                .onCommand(PurgeFinished.class, this::onPurgeFinished)
                .build();
    }

    private Effect<Event, State> onRegistryChanged(State state, RegistryChanged changed) {
        if (changed.offset() <= state.offset()) {
            return Effect().none();
        }
        DatasetRegistry.Event event = changed.event();
        Instant now = clock.instant();
        if (event instanceof DatasetRegistry.Registered registered) {
            DatasetRecord record = registered.record();
            // A table Lakeshard does not write gets no tasks; it is scheduled all the same, for its drop.
            return Effect().persist(new TableScheduled(changed.offset(), record.ref(), record.policy(), now,
                    record.readOnly() ? Map.of() : firstRuns(record.policy(), now)));
        }
        if (event instanceof DatasetRegistry.PolicyUpdated updated) {
            TableSchedule schedule = find(state, changed.tenant(), updated.name());
            // Every policy optimizes and vacuums: a table without tasks is one Lakeshard does not write, and stays so.
            return schedule == null ? Effect().persist(new OffsetSeen(changed.offset()))
                    : Effect().persist(new TableScheduled(changed.offset(), schedule.table(), updated.policy(), now,
                            schedule.tasks().isEmpty() ? Map.of() : firstRuns(updated.policy(), now)));
        }
        if (event instanceof DatasetRegistry.Dropped dropped) {
            TableSchedule schedule = find(state, changed.tenant(), dropped.name());
            return schedule == null ? Effect().persist(new OffsetSeen(changed.offset()))
                    : Effect().persist(new TableUnscheduled(changed.offset(), schedule.table(), dropped.at().plus(settings.purgeAfter())));
        }
        return Effect().persist(new OffsetSeen(changed.offset()));
    }

    private static TableSchedule find(State state, String tenant, DatasetName name) {
        return state.tables().values().stream()
                .filter(s -> s.table().tenant().equals(tenant) && s.table().name().equals(name))
                .findFirst().orElse(null);
    }

    private Effect<Event, State> onTick(State state, Tick tick) {
        askForInheritedReports(state);
        Instant now = clock.instant();
        state.purges().values().stream()
                .filter(purge -> !purge.dueAt().isAfter(now) && purgesRunning.add(purge.table().entityId()))
                .forEach(this::purge);
        List<Event> grants = new ArrayList<>();
        for (TableSchedule schedule : state.tables().values()) {
            schedule.tasks().forEach((type, task) -> {
                boolean leased = task.lease() != null && !task.lease().expired(now);
                if (!leased && !task.nextRunAt().isAfter(now)) {
                    grants.add(new LeaseGranted(schedule.table(), type,
                            new Lease(task.lastLeaseSequence() + 1, now.plus(settings.leaseDuration()))));
                }
            });
        }
        if (grants.isEmpty()) {
            return Effect().none();
        }
        metrics.count("lakeshard_maintenance_leases_total", "Maintenance leases granted (on the scheduler's node)", null, grants.size());
        return Effect().persist(grants).thenRun(after -> grants.forEach(grant -> dispatch(after, (LeaseGranted) grant)));
    }

    /** Deletes the dropped table's directory, then tells its registry; retried on the next tick if either fails. */
    private void purge(Purge purge) {
        TableRef table = purge.table();
        context.pipeToSelf(environment.purge(table), (reply, error) -> new PurgeFinished(table, error));
    }

    private Effect<Event, State> onPurgeFinished(State state, PurgeFinished finished) {
        purgesRunning.remove(finished.table().entityId());
        if (finished.error() != null) {
            context.getLog().warn("purging {} failed; retrying", finished.table(), finished.error());
            return Effect().none();
        }
        return Effect().persist(new TablePurged(finished.table()));
    }

    /**
     * A predecessor's lease still held: its run's report went to the predecessor, which may have died with it, so
     * the writer is asked for the outcome (again on every tick until it answers) instead of waiting out the lease.
     */
    private void askForInheritedReports(State state) {
        Instant now = clock.instant();
        for (TableSchedule schedule : state.tables().values()) {
            schedule.tasks().forEach((type, task) -> {
                if (task.lease() != null && !task.lease().expired(now)
                        && !dispatched.contains(leaseKey(schedule.table(), type, task.lease()))) {
                    environment.writer(schedule.table()).tell(new TableEntity.GetTaskReport(type, task.lease().sequence(), reports));
                }
            });
        }
    }

    private static String leaseKey(TableRef table, TaskType type, Lease lease) {
        return table.entityId() + "/" + type + "/" + lease.sequence();
    }

    private void dispatch(State state, LeaseGranted grant) {
        TableSchedule schedule = state.tables().get(grant.table().entityId());
        dispatched.add(leaseKey(grant.table(), grant.type(), grant.lease()));
        environment.writer(grant.table()).tell(new TableEntity.RunTask(grant.type(), grant.lease(), schedule.policy(), reports));
    }

    private Effect<Event, State> onReport(State state, Reported reported) {
        TaskReport report = reported.report();
        TableSchedule schedule = state.tables().get(report.table().entityId());
        TaskState task = schedule == null ? null : schedule.tasks().get(report.type());
        if (task == null || task.lease() == null || task.lease().sequence() != report.leaseSequence()) {
            return Effect().none();
        }
        dispatched.remove(leaseKey(report.table(), report.type(), task.lease()));
        Instant now = clock.instant();
        String outcome = report instanceof TaskReport.Done ? "done" : report instanceof TaskReport.Failed ? "failed" : "refused";
        metrics.count("lakeshard_maintenance_tasks_total", "Leased maintenance tasks by type and outcome (on the scheduler's node)",
                "type=\"" + report.type() + "\",result=\"" + outcome + "\"", 1);
        if (report instanceof TaskReport.Done done) {
            return Effect().persist(new TaskCompleted(report.table(), report.type(), report.leaseSequence(), now, done.summary(),
                    now.plus(interval(schedule.policy(), report.type()))));
        }
        String reason = report instanceof TaskReport.Failed failed ? "failed: " + failed.reason()
                : "refused: " + ((TaskReport.Refused) report).reason();
        return Effect().persist(new TaskFailed(report.table(), report.type(), report.leaseSequence(), now, reason,
                now.plus(backoff(task.failures() + 1))));
    }

    private Effect<Event, State> onRunNow(State state, RunNow run) {
        if (state.task(run.table(), run.type()).isEmpty()) {
            return Effect().reply(run.replyTo(), false);
        }
        return Effect().persist(new RunRequested(run.table(), run.type(), clock.instant()))
                .thenRun(after -> context.getSelf().tell(Tick.INSTANCE))
                .thenReply(run.replyTo(), after -> true);
    }

    private static List<TaskStatus> statuses(State state) {
        List<TaskStatus> statuses = new ArrayList<>();
        for (TableSchedule schedule : state.tables().values()) {
            schedule.tasks().forEach((type, task) -> statuses.add(new TaskStatus(schedule.table(), type, task.nextRunAt(),
                    task.lastLeaseSequence(), task.lease() == null ? null : task.lease().expiresAt(), task.failures(), task.lastOutcome())));
        }
        statuses.sort(Comparator.comparing((TaskStatus s) -> s.table().entityId())
                .thenComparing(s -> MaintenanceTasks.order(s.type())));
        return statuses;
    }

    @Override
    public EventHandler<State, Event> eventHandler() {
        return newEventHandlerBuilder().forAnyState()
                .onEvent(TableScheduled.class, (state, event) -> state.withTable(schedule(state, event), event.offset()))
                .onEvent(TableUnscheduled.class, (state, event) -> state.without(event.table(), event.offset())
                        .withPurge(new Purge(event.table(), event.purgeAt())))
                .onEvent(TablePurged.class, (state, event) -> state.purged(event.table()))
                .onEvent(OffsetSeen.class, (state, event) -> state.seen(event.offset()))
                .onEvent(LeaseGranted.class, (state, event) -> state.withTask(event.table(), event.type(),
                        task -> task.leased(event.lease())))
                .onEvent(TaskCompleted.class, (state, event) -> state.withTask(event.table(), event.type(),
                        task -> task.completed(event.nextRunAt() != null ? event.nextRunAt()
                                : event.at().plus(interval(state.tables().get(event.table().entityId()).policy(), event.type())),
                                "done: " + event.outcome())))
                .onEvent(TaskFailed.class, (state, event) -> state.withTask(event.table(), event.type(),
                        task -> task.failed(event.nextRunAt() != null ? event.nextRunAt()
                                : event.at().plus(backoff(task.failures() + 1)), event.outcome())))
                .onEvent(RunRequested.class, (state, event) -> state.withTask(event.table(), event.type(),
                        task -> task.dueAt(event.at())))
                .build();
    }

    /** A table's tasks keep their leases and history when only its policy changes. */
    private static TableSchedule schedule(State state, TableScheduled event) {
        TableSchedule existing = state.tables().get(event.table().entityId());
        Map<TaskType, Instant> firstRuns = event.firstRuns() != null ? event.firstRuns() : firstRuns(event.policy(), event.at());
        Map<TaskType, TaskState> tasks = new HashMap<>();
        firstRuns.forEach((type, firstRun) -> {
            TaskState previous = existing == null ? null : existing.tasks().get(type);
            tasks.put(type, previous != null ? previous : new TaskState(firstRun, null, 0, 0, "never run"));
        });
        return new TableSchedule(event.table(), event.policy(), Map.copyOf(tasks));
    }

    /** Every task {@code policy} gives a table, first run a policy interval after {@code at}. */
    private static Map<TaskType, Instant> firstRuns(MaintenancePolicy policy, Instant at) {
        Map<TaskType, Instant> runs = new LinkedHashMap<>();
        for (MaintenanceTask task : MaintenanceTasks.all()) {
            if (task.scheduledBy(policy)) {
                runs.put(task.type(), at.plus(task.interval(policy)));
            }
        }
        return runs;
    }

    /** A known task's interval; a day for a type this node does not know. */
    private static Duration interval(MaintenancePolicy policy, TaskType type) {
        return MaintenanceTasks.find(type).map(task -> task.interval(policy)).orElse(Duration.ofDays(1));
    }

    /** Exponential from the initial backoff, doubling per failure in a row, at most an hour. */
    private Duration backoff(int failures) {
        Duration backoff = settings.initialBackoff().multipliedBy(1L << Math.min(failures - 1, 20));
        return backoff.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff;
    }
}
