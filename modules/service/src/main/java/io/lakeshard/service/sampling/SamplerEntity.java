package io.lakeshard.service.sampling;

import static java.util.Objects.requireNonNull;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.cluster.sharding.typed.ClusterShardingSettings;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.persistence.typed.PersistenceId;
import akka.persistence.typed.RecoveryCompleted;
import akka.persistence.typed.javadsl.CommandHandler;
import akka.persistence.typed.javadsl.Effect;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehavior;
import akka.persistence.typed.javadsl.RetentionCriteria;
import akka.persistence.typed.javadsl.SignalHandler;
import io.lakeshard.cluster.CborSerializable;
import io.lakeshard.cluster.Failures;
import io.lakeshard.cluster.JournalBackoff;
import io.lakeshard.cluster.metrics.Metrics;
import io.lakeshard.service.sampling.SamplerWork.ExportOutcome;
import io.lakeshard.service.sampling.SamplerWork.TickOutcome;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.traces.sampling.TickWindow;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * One sampler, event-sourced and sharded: the only one in the cluster that decides its traces. Each tick is recorded
 * as started (its number and time) before its one write of decisions, keyed by the tick, and as completed after it,
 * with the rows it wrote; a tick started before a crash is looked up in the decisions dataset and completed, or run
 * again with the same time, so its traces are decided once wherever the sampler resumes. Remembered by sharding, so
 * it resumes on another node after its own is lost, and on restart. Its export, when it has one, follows the
 * completed ticks' kept rows page by page, each page recorded as confirmed once the receiver took it.
 */
public final class SamplerEntity extends EventSourcedBehavior<SamplerEntity.Command, SamplerEntity.Event, SamplerEntity.State> {
    public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Sampler");

    public sealed interface Command extends CborSerializable {}

    public record Create(SamplerSpec spec, ActorRef<CreateReply> replyTo) implements Command {}

    public record Get(ActorRef<Status> replyTo) implements Command {}

    public record Delete(ActorRef<Status> replyTo) implements Command {}

    private record Tick() implements Command {}

    private record Prepared(String error) implements Command {}

    private record TickDone(long tick, TickOutcome outcome, String error) implements Command {}

    private record ExportTick() implements Command {}

    private record ExportDone(ExportOutcome outcome, String error, boolean retryable, Duration retryAfter) implements Command {}

    /** The answer to {@link Create}: the sampler's status, or why it was refused. */
    public record CreateReply(Status status, String conflict) implements CborSerializable {}

    /**
     * What a caller sees of a sampler; {@code spec} is null when none was created.
     *
     * @param rows decisions and late rows written: the last sequence
     * @param exportedThrough the last sequence whose kept traces the receiver confirmed
     */
    public record Status(String id, SamplerSpec spec, boolean deleted, Instant createdAt, long ticks, Instant decidedThrough, long rows,
            long decided, long kept, long lateRows, Map<String, Long> keptByPolicy, long exportedThrough, long exportedSpans,
            String lastError, String lastExportError) implements CborSerializable {}

    public sealed interface Event extends CborSerializable {}

    public record Created(SamplerSpec spec, Instant at) implements Event {}

    /** Tick {@code tick} at time {@code now} is under way: after a crash it is looked up, or run again at the same time. */
    public record TickStarted(long tick, Instant now) implements Event {}

    /**
     * The tick's rows are in the dataset (or it had none).
     *
     * @param truncated it decided its limit of traces: more are ready, and the window does not move on
     */
    public record TickCompleted(long tick, long rows, long decided, long kept, long late, Map<String, Long> keptByPolicy,
            boolean truncated) implements Event {}

    public record ExportConfirmed(long through, long spans) implements Event {}

    public record Deleted(Instant at) implements Event {}

    public record State(SamplerSpec spec, Instant createdAt, boolean deleted, long tick, Instant tickNow, boolean pending,
            Instant decidedThrough, Instant lateFrom, long nextSequence, long decided, long kept, long lateRows,
            Map<String, Long> keptByPolicy, long exportedThrough, long exportedSpans) implements CborSerializable {
        static State empty() {
            return new State(null, null, false, 0, null, false, null, null, 1, 0, 0, 0, Map.of(), 0, 0);
        }

        boolean active() {
            return spec != null && !deleted;
        }
    }

    public static void init(ActorSystem<?> system, SamplerWork work, String role, JournalBackoff backoff, Metrics metrics, Clock clock) {
        ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, context -> create(context.getEntityId(), context.getShard(), work, backoff,
                        metrics, clock))
                .withRole(role)
                // A sampler ticks on wherever its shard lands after a crash or restart, asked or not.
                .withSettings(ClusterShardingSettings.create(system).withRememberEntities(true)
                        .withRememberEntitiesStoreMode(ClusterShardingSettings.rememberEntitiesStoreModeEventSourced())));
    }

    /** @param shard told to passivate a deleted sampler, which sharding then stops remembering */
    public static Behavior<Command> create(String entityId, ActorRef<ClusterSharding.ShardCommand> shard, SamplerWork work,
            JournalBackoff backoff, Metrics metrics, Clock clock) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> new SamplerEntity(context, timers, entityId, shard, work, backoff,
                metrics, clock)));
    }

    /** The entity of a tenant's sampler of one dataset: samplers of different tenants or datasets never share one. */
    public static String entityId(String tenant, DatasetName spans, String name) {
        return tenant + "~" + spans + "~" + name;
    }

    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final String entityId;
    private final ActorRef<ClusterSharding.ShardCommand> shard;
    private final SamplerWork work;
    private final Metrics metrics;
    private final Clock clock;
    // Not state: what this incarnation is doing, and its last failures.
    private boolean prepared;
    private boolean busy;
    private boolean exporting;
    private int tickFailures;
    /** When this incarnation's tick under way began, for the next to begin one interval after it. */
    private long tickStartedNanos;
    private int exportFailures;
    private String lastError;
    private String lastExportError;
    private OtlpSender sender;

    private SamplerEntity(ActorContext<Command> context, TimerScheduler<Command> timers, String entityId,
            ActorRef<ClusterSharding.ShardCommand> shard, SamplerWork work, JournalBackoff backoff, Metrics metrics, Clock clock) {
        super(PersistenceId.of(ENTITY_KEY.name(), entityId), backoff.strategy());
        this.context = context;
        this.timers = timers;
        this.entityId = entityId;
        this.shard = requireNonNull(shard, "shard is null");
        this.work = requireNonNull(work, "work is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    @Override
    public State emptyState() {
        return State.empty();
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        // Two events a tick: snapshots keep recovery short.
        return RetentionCriteria.snapshotEvery(500, 2);
    }

    @Override
    public SignalHandler<State> signalHandler() {
        return newSignalHandlerBuilder()
                .onSignal(RecoveryCompleted.instance(), state -> {
                    if (state.active()) {
                        context.getSelf().tell(new Tick());
                    } else if (state.deleted()) {
                        passivate();
                    }
                })
                .onSignal(PostStop.instance(), state -> closeSender())
                .build();
    }

    @Override
    public CommandHandler<Command, Event, State> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Create.class, this::onCreate)
                .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), status(state)))
                .onCommand(Delete.class, this::onDelete)
                .onCommand(Tick.class, (state, tick) -> onTick(state))
                .onCommand(Prepared.class, this::onPrepared)
                .onCommand(TickDone.class, this::onTickDone)
                .onCommand(ExportTick.class, (state, tick) -> onExportTick(state))
                .onCommand(ExportDone.class, this::onExportDone)
                .build();
    }

    private Effect<Event, State> onCreate(State state, Create create) {
        if (state.active()) {
            return Effect().reply(create.replyTo(), new CreateReply(status(state), state.spec().equals(create.spec()) ? null
                    : "sampler " + create.spec().definition().name() + " of " + create.spec().spans()
                            + " exists with another definition or export; delete it first"));
        }
        prepared = false;
        closeSender();
        return Effect().persist(new Created(create.spec(), clock.instant()))
                .thenRun(s -> context.getSelf().tell(new Tick()))
                .thenReply(create.replyTo(), s -> new CreateReply(status(s), null));
    }

    private Effect<Event, State> onDelete(State state, Delete delete) {
        if (!state.active()) {
            return Effect().reply(delete.replyTo(), status(state));
        }
        timers.cancelAll();
        closeSender();
        return Effect().persist(new Deleted(clock.instant())).thenRun(s -> passivate()).thenReply(delete.replyTo(), this::status);
    }

    private Effect<Event, State> onTick(State state) {
        if (!state.active() || busy) {
            return Effect().none();
        }
        busy = true;
        if (!prepared) {
            context.pipeToSelf(work.prepare(state.spec()), (done, error) -> new Prepared(error == null ? null : Failures.message(error)));
            return Effect().none();
        }
        if (state.pending()) {
            run(state, true);
            return Effect().none();
        }
        Instant now = clock.instant().minus(work.settings().commitSlack());
        if (!now.isAfter(state.lateFrom())) {
            busy = false;
            timers.startSingleTimer(new Tick(), work.settings().tickInterval());
            return Effect().none();
        }
        return Effect().persist(new TickStarted(state.tick() + 1, now)).thenRun(s -> run(s, false));
    }

    private Effect<Event, State> onPrepared(State state, Prepared done) {
        busy = false;
        if (done.error() != null) {
            lastError = "preparing the sampler failed: " + done.error();
            timers.startSingleTimer(new Tick(), work.settings().retryAfter(++tickFailures));
            return Effect().none();
        }
        prepared = true;
        context.getSelf().tell(new Tick());
        context.getSelf().tell(new ExportTick());
        return Effect().none();
    }

    private void run(State state, boolean resumed) {
        tickStartedNanos = System.nanoTime();
        TickWindow window = TickWindow.of(state.spec().definition(), state.tickNow(), state.decidedThrough(), state.lateFrom(),
                work.settings().clockSkew());
        long tick = state.tick();
        context.pipeToSelf(work.tick(state.spec(), tick, window, state.nextSequence(), resumed),
                (outcome, error) -> new TickDone(tick, outcome, error == null ? null : Failures.message(error)));
    }

    private Effect<Event, State> onTickDone(State state, TickDone done) {
        busy = false;
        if (!state.active() || done.tick() != state.tick()) {
            return Effect().none();
        }
        if (done.error() != null) {
            lastError = "tick " + done.tick() + " failed: " + done.error();
            metrics.count("lakeshard_sampler_tick_failures_total", "Sampler ticks that failed and were tried again", label(state), 1);
            timers.startSingleTimer(new Tick(), work.settings().retryAfter(++tickFailures));
            return Effect().none();
        }
        tickFailures = 0;
        lastError = null;
        TickOutcome outcome = done.outcome();
        record(state, outcome);
        return Effect().persist(new TickCompleted(done.tick(), outcome.rows(), outcome.decided(), outcome.kept(), outcome.late(),
                        outcome.keptByPolicy(), outcome.truncated()))
                .thenRun(s -> {
                    // Ticks begin an interval apart, not an interval after the last one ended: a decision's lag is the
                    // commit slack, the wait for the next tick and its run, not that plus the run before.
                    Duration wait = work.settings().tickInterval().minusNanos(System.nanoTime() - tickStartedNanos);
                    timers.startSingleTimer(new Tick(), outcome.truncated() || wait.isNegative() ? Duration.ZERO : wait);
                    if (outcome.rows() > 0) {
                        context.getSelf().tell(new ExportTick());
                    }
                });
    }

    private void record(State state, TickOutcome outcome) {
        String sampler = label(state);
        metrics.count("lakeshard_sampler_traces_decided_total", "Traces a sampler decided", sampler, outcome.decided());
        metrics.count("lakeshard_sampler_late_rows_total", "Late spans of kept traces found, by trace and tick", sampler, outcome.late());
        outcome.keptByPolicy().forEach((policy, count) -> metrics.count("lakeshard_sampler_traces_kept_total",
                "Traces a sampler kept, by the policy that kept them", sampler + ",policy=\"" + escape(policy) + "\"", count));
        outcome.lags().forEach(lag -> metrics.time("lakeshard_sampler_decision_lag_seconds",
                "From a trace becoming ready to its decision", lag.toNanos()));
    }

    private Effect<Event, State> onExportTick(State state) {
        if (!state.active() || !prepared || exporting || state.spec().export() == null || state.exportedThrough() >= state.nextSequence() - 1) {
            return Effect().none();
        }
        if (sender == null) {
            try {
                sender = new OtlpSender(state.spec().export(), work.settings().exportTimeout(), context.getSystem());
            } catch (RuntimeException e) {
                // An endpoint that cannot be reached now (a name that does not resolve) is tried again, as a failed export.
                context.getSelf().tell(new ExportDone(null, "connecting to " + state.spec().export().endpoint() + " failed: "
                        + Failures.message(e), true, null));
                exporting = true;
                return Effect().none();
            }
        }
        exporting = true;
        context.pipeToSelf(work.exportPage(state.spec(), state.exportedThrough(), state.nextSequence(), sender), (outcome, error) -> {
            if (error == null) {
                return new ExportDone(outcome, null, false, null);
            }
            Throwable cause = Failures.cause(error);
            if (cause instanceof OtlpSender.ExportFailure failure) {
                return new ExportDone(null, failure.getMessage(), failure.retryable(), failure.retryAfter().orElse(null));
            }
            return new ExportDone(null, Failures.message(error), true, null);
        });
        return Effect().none();
    }

    private Effect<Event, State> onExportDone(State state, ExportDone done) {
        exporting = false;
        if (!state.active()) {
            return Effect().none();
        }
        if (done.error() != null) {
            lastExportError = done.error() + (done.retryable() ? "" : " (not retryable by OTLP; tried again in case the receiver changes)");
            closeSender();
            metrics.count("lakeshard_sampler_export_failures_total", "Exports of kept traces that failed and were tried again",
                    label(state), 1);
            Duration wait = work.settings().retryAfter(++exportFailures);
            if (done.retryAfter() != null && done.retryAfter().compareTo(wait) > 0) {
                wait = done.retryAfter();
            }
            timers.startSingleTimer(new ExportTick(), wait);
            return Effect().none();
        }
        exportFailures = 0;
        lastExportError = null;
        ExportOutcome outcome = done.outcome();
        metrics.count("lakeshard_sampler_exported_spans_total", "Spans of kept traces delivered over OTLP", label(state), outcome.spans());
        return Effect().persist(new ExportConfirmed(outcome.through(), outcome.spans()))
                .thenRun(s -> context.getSelf().tell(new ExportTick()));
    }

    @Override
    public EventHandler<State, Event> eventHandler() {
        return newEventHandlerBuilder().forAnyState()
                // Made again after a delete, it goes on numbering (and first finishes a tick left pending) and decides the
                // traces from then on.
                .onEvent(Created.class, (state, created) -> new State(created.spec(), created.at(), false, state.tick(), state.tickNow(),
                        state.pending(), created.at(), state.tick() == 0 ? created.at() : later(state.lateFrom(), created.at()), state.nextSequence(),
                        state.decided(), state.kept(), state.lateRows(), state.keptByPolicy(), state.exportedThrough(), state.exportedSpans()))
                .onEvent(TickStarted.class, (state, started) -> new State(state.spec(), state.createdAt(), state.deleted(), started.tick(),
                        started.now(), true, state.decidedThrough(), state.lateFrom(), state.nextSequence(), state.decided(), state.kept(),
                        state.lateRows(), state.keptByPolicy(), state.exportedThrough(), state.exportedSpans()))
                .onEvent(TickCompleted.class, (state, completed) -> {
                    Map<String, Long> byPolicy = new HashMap<>(state.keptByPolicy());
                    completed.keptByPolicy().forEach((policy, count) -> byPolicy.merge(policy, count, Long::sum));
                    return new State(state.spec(), state.createdAt(), state.deleted(), state.tick(), state.tickNow(), false,
                            completed.truncated() ? state.decidedThrough() : state.tickNow(), state.tickNow(),
                            state.nextSequence() + completed.rows(), state.decided() + completed.decided(), state.kept() + completed.kept(),
                            state.lateRows() + completed.late(), Map.copyOf(byPolicy), state.exportedThrough(), state.exportedSpans());
                })
                .onEvent(ExportConfirmed.class, (state, confirmed) -> new State(state.spec(), state.createdAt(), state.deleted(),
                        state.tick(), state.tickNow(), state.pending(), state.decidedThrough(), state.lateFrom(), state.nextSequence(),
                        state.decided(), state.kept(), state.lateRows(), state.keptByPolicy(), confirmed.through(),
                        state.exportedSpans() + confirmed.spans()))
                // A tick under way stays pending: its rows may be in the dataset, and a sampler made again finishes it first.
                .onEvent(Deleted.class, (state, deleted) -> new State(state.spec(), state.createdAt(), true, state.tick(), state.tickNow(),
                        state.pending(), state.decidedThrough(), state.lateFrom(), state.nextSequence(), state.decided(), state.kept(),
                        state.lateRows(), state.keptByPolicy(), state.exportedThrough(), state.exportedSpans()))
                .build();
    }

    private Status status(State state) {
        return new Status(entityId, state.spec(), state.deleted(), state.createdAt(), state.tick(), state.decidedThrough(),
                state.nextSequence() - 1, state.decided(), state.kept(), state.lateRows(), new TreeMap<>(state.keptByPolicy()),
                state.exportedThrough(), state.exportedSpans(), lastError, lastExportError);
    }

    private static Instant later(Instant a, Instant b) {
        return a == null || b.isAfter(a) ? b : a;
    }

    private String label(State state) {
        return "sampler=\"" + escape(state.spec().tenant() + "/" + state.spec().spans() + "/" + state.spec().definition().name()) + "\"";
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** A deleted sampler has nothing to do: it stops, and is not started again with its shard. */
    private void passivate() {
        shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
    }

    private void closeSender() {
        if (sender != null) {
            sender.close();
            sender = null;
        }
    }
}
