package io.lakeshard.cluster.imports;

import static java.util.Objects.requireNonNull;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
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
import io.lakeshard.cluster.imports.ImportWork.Outcome;
import io.lakeshard.cluster.imports.ImportWork.Part;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One import job, event-sourced and sharded, the only one that imports its files: it lists the source, records the
 * files it found, plans a batch (files, or a slice of one large file) and records the plan under the next sequence,
 * writes the batch under the key {@code (import/<job>, sequence)}, and records the commit. The key is in the Delta
 * commit itself, so a crash after the write and before the record is answered as a replay when the plan is tried
 * again: each file is imported once, whatever fails when. Remembered by sharding, so a running job resumes on
 * another node after its own is lost, and on restart.
 */
public final class ImportJob extends EventSourcedBehavior<ImportJob.Command, ImportJob.Event, ImportJob.State> {
    public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "ImportJob");
    /** The most failures a job's status lists; the counts go on. */
    static final int LISTED_FAILURES = 100;

    public enum Phase { RUNNING, WATCHING, FINISHED, STOPPED }

    public sealed interface Command extends CborSerializable {}

    public record Start(ImportSpec spec, ActorRef<StartReply> replyTo) implements Command {}

    public record Get(ActorRef<JobStatus> replyTo) implements Command {}

    public record Stop(ActorRef<JobStatus> replyTo) implements Command {}

    private record Tick() implements Command {}

    private record Listed(List<FoundFile> files, Instant at, String error) implements Command {}

    private record BatchDone(long sequence, Outcome outcome, String error) implements Command {}

    /** The reply to {@link Start}: the job's status, or why it was refused. */
    public record StartReply(JobStatus status, String conflict) implements CborSerializable {}

    /** A failed file's path and reason. */
    public record Failure(String path, String reason) implements CborSerializable {}

    /** What a caller sees of a job; {@code spec} is null when the job was never started. */
    public record JobStatus(String id, ImportSpec spec, Phase phase, int filesFound, int filesImported, int filesFailed,
            int filesWaiting, long rows, long bytes, long commits, long lastVersion, List<Failure> failures, String lastError,
            Instant startedAt, Instant lastListedAt, Instant finishedAt) implements CborSerializable {}

    public sealed interface Event extends CborSerializable {}

    public record Started(ImportSpec spec, Instant at) implements Event {}

    /** Files new to the job, old enough to import; {@code waiting} more were too young. */
    public record FilesFound(List<FoundFile> files, int waiting, Instant at) implements Event {}

    /** A batch's parts, recorded before it is written: a retry writes the same parts under the same sequence. */
    public record BatchPlanned(long sequence, List<PlannedPart> parts) implements Event {}

    public record BatchCommitted(long sequence, List<Long> rowsPerPart, long version) implements Event {}

    /** Files that can never be imported, and why; the batch is planned again without them. */
    public record FilesRejected(Map<Integer, String> reasons) implements Event {}

    /** The batch failed as a whole: its files go one by one, to find the file at fault. */
    public record BatchSplit(long sequence) implements Event {}

    /** The batch had more rows than one write: nothing was written, and it keeps its first {@code keep} parts. */
    public record BatchTrimmed(long sequence, int keep) implements Event {}

    /** A file with more rows than one write: imported in slices from now on. */
    public record FileSized(int file, long rows) implements Event {}

    public record Finished(Instant at) implements Event {}

    /** A finished or stopped job started again: it lists the source again. */
    public record Resumed(Instant at) implements Event {}

    public record Stopped(Instant at) implements Event {}

    /** A planned part: file {@code file}'s rows {@code [fromRow, toRow)}, or the whole file when {@code toRow} is -1. */
    public record PlannedPart(int file, long fromRow, long toRow) implements CborSerializable {}

    /** A file the job found, and how far it got. {@code rows} is -1 until a file too large for one write is sized. */
    public record FileRecord(FoundFile found, boolean imported, String failure, boolean alone, long rows, long nextRow,
            long importedRows) implements CborSerializable {
        FileRecord with(boolean done, String reason, boolean single, long size, long next, long added) {
            return new FileRecord(found, done, reason, single, size, next, importedRows + added);
        }

        boolean pending() {
            return !imported && failure == null;
        }
    }

    public record State(ImportSpec spec, Phase phase, List<FileRecord> files, long nextSequence, BatchPlanned pending, long commits,
            long lastVersion, int waiting, Instant startedAt, Instant lastListedAt, Instant finishedAt) implements CborSerializable {
        static State empty() {
            return new State(null, Phase.RUNNING, List.of(), 1, null, 0, -1, 0, null, null, null);
        }

        boolean active() {
            return spec != null && (phase == Phase.RUNNING || phase == Phase.WATCHING);
        }

        Set<String> identities() {
            Set<String> identities = new HashSet<>();
            files.forEach(file -> identities.add(file.found().identity()));
            return identities;
        }

        State files(List<FileRecord> value) {
            return new State(spec, phase, List.copyOf(value), nextSequence, pending, commits, lastVersion, waiting, startedAt, lastListedAt,
                    finishedAt);
        }

        State pending(BatchPlanned value, long next) {
            return new State(spec, phase, files, next, value, commits, lastVersion, waiting, startedAt, lastListedAt, finishedAt);
        }
    }

    public static void init(ActorSystem<?> system, ImportWork work, ImportSettings settings, String role, JournalBackoff backoff, Clock clock) {
        ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, context -> create(context.getEntityId(), work, settings, backoff, clock))
                .withRole(role)
                // A running job is started again wherever its shard lands after a crash or restart.
                .withSettings(ClusterShardingSettings.create(system).withRememberEntities(true)
                        .withRememberEntitiesStoreMode(ClusterShardingSettings.rememberEntitiesStoreModeEventSourced())));
    }

    public static Behavior<Command> create(String entityId, ImportWork work, ImportSettings settings, JournalBackoff backoff, Clock clock) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> new ImportJob(context, timers, entityId, work, settings, backoff, clock)));
    }

    /** The entity id of a tenant's job: jobs of different tenants never share one. */
    public static String entityId(String tenant, String jobId) {
        return tenant + "~" + jobId;
    }

    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final String jobId;
    private final ImportWork work;
    private final ImportSettings settings;
    private final Clock clock;
    // Not state: whether a listing or a batch is under way on this incarnation, and the last retryable failure.
    private boolean busy;
    private String lastError;

    private ImportJob(ActorContext<Command> context, TimerScheduler<Command> timers, String entityId, ImportWork work,
            ImportSettings settings, JournalBackoff backoff, Clock clock) {
        super(PersistenceId.of(ENTITY_KEY.name(), entityId), backoff.strategy());
        this.context = context;
        this.timers = timers;
        this.jobId = entityId.substring(entityId.indexOf('~') + 1);
        this.work = requireNonNull(work, "work is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.clock = requireNonNull(clock, "clock is null");
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
            if (state.active()) {
                context.getSelf().tell(new Tick());
            }
        }).build();
    }

    @Override
    public CommandHandler<Command, Event, State> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Start.class, this::onStart)
                .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), status(state)))
                .onCommand(Stop.class, this::onStop)
                .onCommand(Tick.class, (state, tick) -> onTick(state))
                .onCommand(Listed.class, this::onListed)
                .onCommand(BatchDone.class, this::onBatchDone)
                .build();
    }

    private Effect<Event, State> onStart(State state, Start start) {
        if (state.spec() != null) {
            if (!state.spec().equals(start.spec())) {
                return Effect().reply(start.replyTo(), new StartReply(status(state), "import job " + jobId
                        + " exists with another source, dataset or options"));
            }
            if (state.active()) {
                return Effect().reply(start.replyTo(), new StartReply(status(state), null));
            }
            // The same import run again: the files it has imported stay imported, new ones go in.
            return Effect().persist(new Resumed(clock.instant()))
                    .thenRun(s -> context.getSelf().tell(new Tick()))
                    .thenReply(start.replyTo(), s -> new StartReply(status(s), null));
        }
        return Effect().persist(new Started(start.spec(), clock.instant()))
                .thenRun(s -> context.getSelf().tell(new Tick()))
                .thenReply(start.replyTo(), s -> new StartReply(status(s), null));
    }

    private Effect<Event, State> onStop(State state, Stop stop) {
        if (!state.active()) {
            return Effect().reply(stop.replyTo(), status(state));
        }
        timers.cancelAll();
        return Effect().persist(new Stopped(clock.instant())).thenReply(stop.replyTo(), this::status);
    }

    private Effect<Event, State> onTick(State state) {
        if (!state.active() || busy) {
            return Effect().none();
        }
        if (state.pending() != null) {
            run(state, state.pending());
            return Effect().none();
        }
        BatchPlanned next = plan(state);
        if (next != null) {
            return Effect().persist(next).thenRun(s -> run(s, next));
        }
        busy = true;
        context.pipeToSelf(work.list(state.spec()), (files, error) -> error == null ? new Listed(files, clock.instant(), null)
                : new Listed(List.of(), clock.instant(), Failures.message(error)));
        return Effect().none();
    }

    private Effect<Event, State> onListed(State state, Listed listed) {
        busy = false;
        if (!state.active()) {
            return Effect().none();
        }
        if (listed.error() != null) {
            lastError = "listing " + state.spec().source() + " failed: " + listed.error();
            timers.startSingleTimer(new Tick(), settings.retryBackoff());
            return Effect().none();
        }
        lastError = null;
        Set<String> known = state.identities();
        List<FoundFile> fresh = new ArrayList<>();
        int waiting = 0;
        for (FoundFile file : listed.files()) {
            if (known.contains(file.identity())) {
                continue;
            }
            if (Duration.ofMillis(listed.at().toEpochMilli() - file.modifiedMillis()).compareTo(state.spec().minAge()) < 0) {
                waiting++;
            } else {
                fresh.add(file);
            }
        }
        FilesFound found = new FilesFound(fresh, waiting, listed.at());
        if (!fresh.isEmpty()) {
            return Effect().persist(found).thenRun(s -> context.getSelf().tell(new Tick()));
        }
        if (!state.spec().watch() && waiting == 0) {
            return Effect().persist(List.of(found, new Finished(listed.at())));
        }
        // Watched, or one-shot with files still being written: look again later.
        Duration wait = state.spec().watch() ? state.spec().interval() : min(state.spec().interval(), state.spec().minAge());
        timers.startSingleTimer(new Tick(), wait);
        return Effect().persist(found);
    }

    private Effect<Event, State> onBatchDone(State state, BatchDone done) {
        busy = false;
        if (state.pending() == null || state.pending().sequence() != done.sequence()) {
            return Effect().none();
        }
        Outcome outcome = done.outcome();
        if (!state.active()) {
            // Stopped while the batch was under way: a commit still counts, nothing else goes on.
            return outcome instanceof ImportWork.Committed committed
                    ? Effect().persist(new BatchCommitted(done.sequence(), committed.rowsPerPart(), committed.version()))
                    : Effect().none();
        }
        if (outcome == null || outcome instanceof ImportWork.Retry) {
            lastError = done.error() != null ? done.error() : ((ImportWork.Retry) outcome).reason();
            context.getLog().info("import {}: batch {} will be tried again: {}", jobId, done.sequence(), lastError);
            timers.startSingleTimer(new Tick(), settings.retryBackoff());
            return Effect().none();
        }
        lastError = null;
        Event event;
        if (outcome instanceof ImportWork.Committed committed) {
            event = new BatchCommitted(done.sequence(), committed.rowsPerPart(), committed.version());
        } else if (outcome instanceof ImportWork.Rejected rejected) {
            event = new FilesRejected(rejected.reasons());
        } else if (outcome instanceof ImportWork.Sized sized) {
            event = new FileSized(sized.file(), sized.rows());
        } else if (outcome instanceof ImportWork.Trimmed trimmed) {
            event = new BatchTrimmed(done.sequence(), trimmed.keep());
        } else {
            event = new BatchSplit(done.sequence());
        }
        return Effect().persist(event).thenRun(s -> context.getSelf().tell(new Tick()));
    }

    /** The next batch: a slice of a large file, a file that must go alone, or as many small files as fit in the bytes. */
    private BatchPlanned plan(State state) {
        List<PlannedPart> parts = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < state.files().size(); i++) {
            FileRecord file = state.files().get(i);
            if (!file.pending()) {
                continue;
            }
            if (file.rows() >= 0 || file.alone()) {
                if (!parts.isEmpty()) {
                    break;
                }
                long to = file.rows() < 0 ? -1 : Math.min(file.rows(), file.nextRow() + settings.maxRowsPerWrite());
                return new BatchPlanned(state.nextSequence(), List.of(new PlannedPart(i, file.nextRow(), to)));
            }
            if (!parts.isEmpty() && bytes + file.found().size() > settings.batchBytes()) {
                break;
            }
            parts.add(new PlannedPart(i, 0, -1));
            bytes += file.found().size();
        }
        return parts.isEmpty() ? null : new BatchPlanned(state.nextSequence(), parts);
    }

    private void run(State state, BatchPlanned batch) {
        busy = true;
        List<Part> parts = new ArrayList<>();
        for (PlannedPart part : batch.parts()) {
            parts.add(new Part(part.file(), state.files().get(part.file()).found(), part.fromRow(), part.toRow()));
        }
        context.pipeToSelf(work.run(state.spec(), "import/" + jobId, batch.sequence(), parts, settings.maxRowsPerWrite()),
                (outcome, error) -> new BatchDone(batch.sequence(), outcome, error == null ? null : Failures.message(error)));
    }

    private JobStatus status(State state) {
        int imported = 0;
        int failed = 0;
        long rows = 0;
        long bytes = 0;
        List<Failure> failures = new ArrayList<>();
        for (FileRecord file : state.files()) {
            rows += file.importedRows();
            if (file.imported()) {
                imported++;
                bytes += file.found().size();
            } else if (file.failure() != null) {
                failed++;
                if (failures.size() < LISTED_FAILURES) {
                    failures.add(new Failure(file.found().path(), file.failure()));
                }
            }
        }
        return new JobStatus(jobId, state.spec(), state.phase(), state.files().size(), imported, failed, state.waiting(), rows, bytes,
                state.commits(), state.lastVersion(), List.copyOf(failures), lastError, state.startedAt(), state.lastListedAt(),
                state.finishedAt());
    }

    private static Duration min(Duration a, Duration b) {
        Duration smaller = a.compareTo(b) <= 0 ? a : b;
        return smaller.isZero() ? Duration.ofSeconds(1) : smaller;
    }

    @Override
    public EventHandler<State, Event> eventHandler() {
        return newEventHandlerBuilder().forAnyState()
                .onEvent(Started.class, (state, e) -> new State(e.spec(), e.spec().watch() ? Phase.WATCHING : Phase.RUNNING, List.of(), 1, null,
                        0, -1, 0, e.at(), null, null))
                .onEvent(FilesFound.class, (state, e) -> {
                    List<FileRecord> files = new ArrayList<>(state.files());
                    e.files().forEach(found -> files.add(new FileRecord(found, false, null, false, -1, 0, 0)));
                    return new State(state.spec(), state.phase(), List.copyOf(files), state.nextSequence(), state.pending(), state.commits(),
                            state.lastVersion(), e.waiting(), state.startedAt(), e.at(), state.finishedAt());
                })
                .onEvent(BatchPlanned.class, (state, e) -> state.pending(e, e.sequence() + 1))
                .onEvent(BatchCommitted.class, (state, e) -> {
                    List<FileRecord> files = new ArrayList<>(state.files());
                    List<PlannedPart> parts = state.pending().parts();
                    for (int i = 0; i < parts.size(); i++) {
                        PlannedPart part = parts.get(i);
                        FileRecord file = files.get(part.file());
                        long added = i < e.rowsPerPart().size() ? e.rowsPerPart().get(i) : 0;
                        boolean done = part.toRow() < 0 || part.toRow() >= file.rows();
                        files.set(part.file(), file.with(done, null, file.alone(), file.rows(), part.toRow() < 0 ? 0 : part.toRow(), added));
                    }
                    return new State(state.spec(), state.phase(), List.copyOf(files), state.nextSequence(), null, state.commits() + 1,
                            Math.max(state.lastVersion(), e.version()), state.waiting(), state.startedAt(), state.lastListedAt(),
                            state.finishedAt());
                })
                .onEvent(FilesRejected.class, (state, e) -> {
                    List<FileRecord> files = new ArrayList<>(state.files());
                    e.reasons().forEach((index, reason) -> {
                        FileRecord file = files.get(index);
                        files.set(index, file.with(false, reason, file.alone(), file.rows(), file.nextRow(), 0));
                    });
                    return state.files(files).pending(null, state.nextSequence());
                })
                .onEvent(BatchSplit.class, (state, e) -> {
                    List<FileRecord> files = new ArrayList<>(state.files());
                    for (PlannedPart part : state.pending().parts()) {
                        FileRecord file = files.get(part.file());
                        files.set(part.file(), file.with(false, null, true, file.rows(), file.nextRow(), 0));
                    }
                    return state.files(files).pending(null, state.nextSequence());
                })
                .onEvent(BatchTrimmed.class, (state, e) -> state.pending(new BatchPlanned(e.sequence(),
                        List.copyOf(state.pending().parts().subList(0, e.keep()))), state.nextSequence()))
                .onEvent(FileSized.class, (state, e) -> {
                    List<FileRecord> files = new ArrayList<>(state.files());
                    FileRecord file = files.get(e.file());
                    files.set(e.file(), file.with(false, null, true, e.rows(), file.nextRow(), 0));
                    return state.files(files).pending(null, state.nextSequence());
                })
                .onEvent(Finished.class, (state, e) -> new State(state.spec(), Phase.FINISHED, state.files(), state.nextSequence(), null,
                        state.commits(), state.lastVersion(), state.waiting(), state.startedAt(), state.lastListedAt(), e.at()))
                .onEvent(Resumed.class, (state, e) -> new State(state.spec(), state.spec().watch() ? Phase.WATCHING : Phase.RUNNING,
                        state.files(), state.nextSequence(), state.pending(), state.commits(), state.lastVersion(), state.waiting(),
                        state.startedAt(), state.lastListedAt(), null))
                .onEvent(Stopped.class, (state, e) -> new State(state.spec(), Phase.STOPPED, state.files(), state.nextSequence(), state.pending(),
                        state.commits(), state.lastVersion(), state.waiting(), state.startedAt(), state.lastListedAt(), e.at()))
                .build();
    }
}
