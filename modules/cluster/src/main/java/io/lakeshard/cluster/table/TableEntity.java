package io.lakeshard.cluster.table;

import static java.util.Objects.requireNonNull;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.StashBuffer;
import akka.actor.typed.pubsub.Topic;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import io.lakeshard.cluster.CborSerializable;
import io.lakeshard.cluster.Failures;
import io.lakeshard.cluster.maintenance.Lease;
import io.lakeshard.cluster.maintenance.MaintenanceTask;
import io.lakeshard.cluster.maintenance.MaintenanceTasks;
import io.lakeshard.cluster.maintenance.TaskContext;
import io.lakeshard.cluster.maintenance.TaskReport;
import io.lakeshard.cluster.maintenance.TaskType;
import io.lakeshard.cluster.metrics.Metrics;
import io.lakeshard.cluster.table.CommitQueue.Delete;
import io.lakeshard.cluster.table.CommitQueue.Next;
import io.lakeshard.cluster.table.CommitQueue.Rewrite;
import io.lakeshard.cluster.table.CommitQueue.SchemaChange;
import io.lakeshard.cluster.table.CommitQueue.Writes;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import io.lakeshard.storage.dataset.TableSchema;
import io.lakeshard.storage.maintenance.Maintenance;
import io.lakeshard.storage.maintenance.PreparedRewrite;
import io.lakeshard.storage.table.CommitConflictException;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.ReadOnlyTableException;
import io.lakeshard.storage.write.NewDataFile;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The one writer of a dataset's Delta log in the cluster: a sharded entity per table. Writes that arrive while a
 * commit is in flight are combined into the next commit; small inline batches are coalesced into one file per
 * partition; every write is acknowledged only once its commit is durable, and at most once per idempotency key. A
 * commit that finds the log moved by another writer is refused and the entity reloads: it never merges over a
 * split brain. What commits next is {@link CommitQueue}'s rule; which maintenance runs is {@link TaskLeases}'.
 */
public final class TableEntity extends AbstractBehavior<TableEntity.Command> {
    public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Table");

    public sealed interface Command extends CborSerializable {}

    /**
     * A write: files the sending node already wrote to shared storage (bulk), or Arrow IPC bytes for this entity
     * to coalesce and write (small batches).
     *
     * @param key empty for an unkeyed write: applied whenever it arrives, so a retry may store its rows twice. For
     *     sources whose retries are at least once by design (OTLP exporters) and whose readers remove duplicates.
     */
    public record Write(List<NewDataFile> files, byte[] arrowIpc, Optional<IdempotencyKey> key, long rows,
            ActorRef<WriteReply> replyTo) implements Command {}

    public record GetCommittedVersion(ActorRef<Long> replyTo) implements Command {}

    /**
     * Sharding's passivation, delivered as a message: the writer stops only once no commit, task or delete is in
     * flight, or their results (and the replies waiting on them) would be lost.
     */
    enum Passivate implements Command { INSTANCE }

    /** Run a leased maintenance task; the report goes to {@code replyTo}. */
    public record RunTask(TaskType type, Lease lease, MaintenancePolicy policy, ActorRef<TaskReport> replyTo) implements Command {}

    /**
     * Asks for the report of a leased task's run, for a scheduler that took over from the one that leased it: the
     * report if the run ended, nothing while it runs, a refusal (and the lease fenced) if this writer never ran it.
     */
    public record GetTaskReport(TaskType type, long leaseSequence, ActorRef<TaskReport> replyTo) implements Command {}

    /** Deletes the rows matching every predicate, in one commit between group commits. */
    public record DeleteRows(List<PredicateSpec> predicates, ActorRef<DeleteReply> replyTo) implements Command {}

    public sealed interface DeleteReply extends CborSerializable {}

    public record RowsDeleted(long rows, long version) implements DeleteReply {}

    public record DeleteRejected(String field, String message) implements DeleteReply {}

    /** A delete's rewrite, prepared off the commit path (empty when no row matched), or why preparing it failed. */
    record DeletePrepared(DeleteRows request, Optional<PreparedRewrite> rewrite, Throwable error) implements Command {}

    private record DeleteDone(DeleteRows request, DeleteReply reply, long version) implements Command {}

    /** Adds nullable columns, between commits; {@code columnsJson} is an Arrow schema holding just the new columns. */
    public record AddColumns(String columnsJson, ActorRef<SchemaReply> replyTo) implements Command {}

    public sealed interface SchemaReply extends CborSerializable {}

    /** @param userSchemaJson the dataset's user columns after the change, as an Arrow schema */
    public record SchemaChanged(long version, String userSchemaJson) implements SchemaReply {}

    public record SchemaRejected(String field, String message) implements SchemaReply {}

    private record SchemaChangeDone(AddColumns request, SchemaReply reply, long version) implements Command {}

    /** A task's rewrite, written and waiting for its commit. */
    record TaskPrepared(RunTask task, MaintenanceTask job, PreparedRewrite rewrite) implements Command {}

    private record TaskFinished(RunTask task, TaskReport report) implements Command {}

    /** The commit of a prepared rewrite ended; it held the commit path. {@code version} is -1 if it failed. */
    private record RewriteDone(RunTask task, TaskReport report, long version) implements Command {}

    private record Loaded(long version) implements Command {}

    private record LoadFailed(Throwable error) implements Command {}

    private record CommitFinished(List<Write> writes, GroupWriter.Committed result) implements Command {}

    private record CommitFailed(List<Write> writes, Throwable error) implements Command {}

    public sealed interface WriteReply extends CborSerializable {}

    /**
     * @param version the version whose commit applied the key
     * @param applied false when the key was already committed: a retry, answered with that commit's version and rows
     * @param rows the rows committed under the key
     */
    public record WriteAck(long version, boolean applied, long rows) implements WriteReply {}

    /**
     * @param retryable true when the same write (same key) may simply be sent again
     * @param readOnly the table is one Lakeshard does not write; {@code message} says why
     */
    public record WriteRejected(boolean retryable, String field, String message, boolean readOnly) implements WriteReply {
        public WriteRejected(boolean retryable, String field, String message) {
            this(retryable, field, message, false);
        }
    }

    public static void init(ActorSystem<?> system, TableStore tables, GroupWriter writer,
            ActorRef<Topic.Command<TableVersion>> topic, String role, Metrics metrics, Clock clock) {
        ClusterSharding.get(system).init(Entity.of(ENTITY_KEY,
                context -> create(TableRef.parse(context.getEntityId()), tables, writer, topic, metrics, clock))
                .withRole(role)
                .withStopMessage(Passivate.INSTANCE));
    }

    public static Behavior<Command> create(TableRef ref, TableStore tables, GroupWriter writer,
            ActorRef<Topic.Command<TableVersion>> topic, Metrics metrics, Clock clock) {
        return Behaviors.withStash(10_000, stash -> Behaviors.setup(context ->
                new TableEntity(context, stash, ref, tables, writer, topic, metrics, clock).loading()));
    }

    private final StashBuffer<Command> stash;
    private final TableRef ref;
    private final TableStore tables;
    private final GroupWriter writer;
    private final ActorRef<Topic.Command<TableVersion>> topic;
    private final Metrics metrics;
    private final Clock clock;
    private final DeltaTable table;
    private final Maintenance maintenance;
    private final CommitQueue queue = new CommitQueue();
    private final TaskLeases leases = new TaskLeases();
    private long version;
    private boolean passivating;
    private long commitStartedNanos;

    private TableEntity(ActorContext<Command> context, StashBuffer<Command> stash, TableRef ref, TableStore tables,
            GroupWriter writer, ActorRef<Topic.Command<TableVersion>> topic, Metrics metrics, Clock clock) {
        super(context);
        this.stash = stash;
        this.ref = requireNonNull(ref, "ref is null");
        this.tables = requireNonNull(tables, "tables is null");
        this.writer = requireNonNull(writer, "writer is null");
        this.topic = requireNonNull(topic, "topic is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.table = tables.table(ref);
        this.maintenance = new Maintenance(table, writer.allocator());
    }

    private Behavior<Command> loading() {
        getContext().pipeToSelf(CompletableFuture.supplyAsync(table::latestVersion, tables.blocking()),
                (latest, error) -> error == null ? new Loaded(latest) : new LoadFailed(error));
        return Behaviors.receive(Command.class)
                .onMessage(Loaded.class, loaded -> {
                    version = loaded.version();
                    getContext().getLog().info("{}: writer running at version {}", ref, version);
                    writer.forget(ref);
                    commitNext();
                    return stash.unstashAll(this);
                })
                .onMessage(LoadFailed.class, failed -> {
                    getContext().getLog().warn("loading {} failed; writes are refused until it loads", ref, failed.error());
                    stash.unstashAll(Behaviors.receive(Command.class)
                            .onMessage(Write.class, w -> {
                                w.replyTo().tell(new WriteRejected(true, "", "the table is not available: " + Failures.message(failed.error())));
                                return Behaviors.same();
                            })
                            .build());
                    return Behaviors.stopped();
                })
                .onMessageEquals(Passivate.INSTANCE, Behaviors::stopped)
                .onAnyMessage(message -> {
                    stash.stash(message);
                    return Behaviors.same();
                })
                .build();
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Write.class, write -> {
                    queue.add(write);
                    commitNext();
                    return this;
                })
                .onMessage(GetCommittedVersion.class, get -> {
                    get.replyTo().tell(version);
                    return this;
                })
                .onMessage(CommitFinished.class, this::onCommitFinished)
                .onMessage(CommitFailed.class, this::onCommitFailed)
                .onMessage(RunTask.class, this::onRunTask)
                .onMessage(GetTaskReport.class, get -> {
                    leases.report(ref, get.type(), get.leaseSequence()).ifPresent(get.replyTo()::tell);
                    return this;
                })
                .onMessage(TaskPrepared.class, prepared -> {
                    queue.add(prepared);
                    commitNext();
                    return this;
                })
                .onMessage(TaskFinished.class, finished -> {
                    finishTask(finished.task(), finished.report());
                    return stopIfIdle();
                })
                .onMessage(RewriteDone.class, this::onRewriteDone)
                .onMessage(AddColumns.class, change -> {
                    queue.add(change);
                    commitNext();
                    return this;
                })
                .onMessage(SchemaChangeDone.class, this::onSchemaChangeDone)
                .onMessage(DeleteRows.class, this::onDeleteRows)
                .onMessage(DeletePrepared.class, this::onDeletePrepared)
                .onMessage(DeleteDone.class, this::onDeleteDone)
                .onMessageEquals(Passivate.INSTANCE, () -> {
                    passivating = true;
                    return stopIfIdle();
                })
                .build();
    }

    /** After passivation was asked for, the first moment nothing is in flight. */
    private Behavior<Command> stopIfIdle() {
        return passivating && queue.idle() ? Behaviors.stopped() : this;
    }

    /** Starts the next waiting commit unless one holds the commit path. */
    private void commitNext() {
        queue.startNext().ifPresent(this::start);
    }

    private void start(Next next) {
        if (next instanceof Delete delete) {
            commitDelete(delete.prepared());
        } else if (next instanceof SchemaChange change) {
            changeSchema(change.change());
        } else if (next instanceof Rewrite rewrite) {
            commitRewrite(rewrite.prepared());
        } else {
            groupCommit(((Writes) next).writes());
        }
    }

    private void groupCommit(List<Write> writes) {
        commitStartedNanos = System.nanoTime();
        long expected = version;
        getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> writer.commit(ref, table, writes, expected), tables.blocking()),
                (result, error) -> error == null ? new CommitFinished(writes, result) : new CommitFailed(writes, error));
    }

    private Behavior<Command> onCommitFinished(CommitFinished finished) {
        GroupWriter.Committed result = finished.result();
        metrics.time("lakeshard_commit_seconds", "Group commits: time from start to durable", System.nanoTime() - commitStartedNanos);
        metrics.count("lakeshard_commits_total", "Group commits", null, 1);
        metrics.count("lakeshard_commit_writes_total", "Writes acknowledged by group commits", null, finished.writes().size());
        commitEnded(result.version());
        for (int i = 0; i < finished.writes().size(); i++) {
            finished.writes().get(i).replyTo().tell(result.replies().get(i));
        }
        commitNext();
        return stopIfIdle();
    }

    private Behavior<Command> onCommitFailed(CommitFailed failed) {
        Throwable cause = Failures.cause(failed.error());
        boolean fenced = cause instanceof CommitConflictException;
        if (fenced) {
            getContext().getLog().warn("{}: {}; reloading", ref, cause.getMessage());
        } else {
            getContext().getLog().error("commit to {} failed", ref, cause);
        }
        for (Write write : failed.writes()) {
            write.replyTo().tell(cause instanceof InvalidInputException invalid
                    ? new WriteRejected(false, invalid.field(), invalid.getMessage())
                    : cause instanceof ReadOnlyTableException readOnly ? new WriteRejected(false, "", readOnly.getMessage(), true)
                    : new WriteRejected(true, "", fenced ? "the table moved under its writer; retry with the same key"
                            : "the commit failed; retry with the same key"));
        }
        queue.ended();
        queue.drainWrites().forEach(stash::stash);
        return loading();
    }

    /** A commit that held the commit path ended; {@code newVersion} is -1 when it committed nothing. */
    private void commitEnded(long newVersion) {
        queue.ended();
        if (newVersion > version) {
            version = newVersion;
            topic.tell(Topic.publish(new TableVersion(ref, version)));
        }
    }

    private Behavior<Command> onRunTask(RunTask task) {
        Optional<MaintenanceTask> job = MaintenanceTasks.find(task.type());
        Optional<String> refusal = job.isEmpty() ? Optional.of("this node does not know the task " + task.type())
                : leases.start(task, clock.instant());
        if (refusal.isPresent()) {
            task.replyTo().tell(new TaskReport.Refused(ref, task.type(), task.lease().sequence(), refusal.get()));
            return this;
        }
        queue.preparationStarted();
        getContext().getLog().info("{}: {} under lease {} started", ref, task.type(), task.lease().sequence());
        TaskContext context = new TaskContext(table, maintenance, clock);
        getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> job.get().prepare(context, task.policy()), tables.blocking()),
                (step, error) -> error != null ? new TaskFinished(task, failure(task, error))
                        : step instanceof MaintenanceTask.Commit commit ? new TaskPrepared(task, job.get(), commit.rewrite())
                        : new TaskFinished(task, done(task, ((MaintenanceTask.Done) step).summary())));
        return this;
    }

    private TaskReport done(RunTask task, String summary) {
        return new TaskReport.Done(ref, task.type(), task.lease().sequence(), summary);
    }

    private TaskReport failure(RunTask task, Throwable error) {
        return new TaskReport.Failed(ref, task.type(), task.lease().sequence(), Failures.message(error));
    }

    /** The rewrite's files are written and its turn has come; its lease is checked once more. */
    private void commitRewrite(TaskPrepared prepared) {
        RunTask task = prepared.task();
        PreparedRewrite rewrite = prepared.rewrite();
        if (task.lease().expired(clock.instant())) {
            // Another run may hold the task now: this one must not commit.
            getContext().pipeToSelf(CompletableFuture.runAsync(() -> maintenance.abandon(rewrite), tables.blocking()),
                    (done, error) -> new TaskFinished(task, new TaskReport.Refused(ref, task.type(), task.lease().sequence(),
                            "lease expired before the commit; nothing committed")));
            queue.ended();
            // Writes queued behind the rewrite would otherwise wait for the next write to arrive.
            commitNext();
            return;
        }
        getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> maintenance.commit(rewrite), tables.blocking()),
                (committed, error) -> error == null
                        ? new RewriteDone(task, done(task, prepared.job().summary(committed)), committed.version())
                        : new RewriteDone(task, failure(task, error), -1));
    }

    private Behavior<Command> onRewriteDone(RewriteDone done) {
        commitEnded(done.version());
        finishTask(done.task(), done.report());
        commitNext();
        return stopIfIdle();
    }

    private void finishTask(RunTask task, TaskReport report) {
        leases.finished(task, report);
        queue.preparationEnded();
        getContext().getLog().info("{}: {} under lease {} finished: {}", ref, task.type(), task.lease().sequence(), report);
        task.replyTo().tell(report);
    }

    /** The rows to delete are found and their files rewritten off the commit path; the commit waits its turn. */
    private Behavior<Command> onDeleteRows(DeleteRows request) {
        queue.preparationStarted();
        getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> {
            TableSchema schema = table.latestMetadata().schema();
            return maintenance.prepareDelete(request.predicates().stream().map(p -> p.toPredicate(schema)).toList());
        }, tables.blocking()), (rewrite, error) -> new DeletePrepared(request, rewrite, error));
        return this;
    }

    private Behavior<Command> onDeletePrepared(DeletePrepared prepared) {
        queue.preparationEnded();
        if (prepared.error() != null) {
            Throwable cause = Failures.cause(prepared.error());
            prepared.request().replyTo().tell(cause instanceof InvalidInputException invalid
                    ? new DeleteRejected(invalid.field(), invalid.getMessage())
                    : new DeleteRejected("", "the delete failed: " + cause.getMessage()));
            return stopIfIdle();
        }
        if (prepared.rewrite().isEmpty()) {
            prepared.request().replyTo().tell(new RowsDeleted(0, version));
            return stopIfIdle();
        }
        queue.add(prepared);
        commitNext();
        return this;
    }

    private void commitDelete(DeletePrepared prepared) {
        PreparedRewrite rewrite = prepared.rewrite().orElseThrow();
        getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> maintenance.commit(rewrite), tables.blocking()),
                (committed, error) -> error == null
                        ? new DeleteDone(prepared.request(), new RowsDeleted(committed.rowsBefore() - committed.rowsAfter(),
                                committed.version()), committed.version())
                        : new DeleteDone(prepared.request(), new DeleteRejected("", "the delete conflicted with another change: "
                                + Failures.message(error) + "; retry"), -1));
    }

    private Behavior<Command> onDeleteDone(DeleteDone done) {
        commitEnded(done.version());
        done.request().replyTo().tell(done.reply());
        commitNext();
        return stopIfIdle();
    }

    private void changeSchema(AddColumns change) {
        getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> {
            List<Field> columns;
            try {
                columns = Schema.fromJSON(change.columnsJson()).getFields();
            } catch (IOException e) {
                throw new InvalidInputException("columns", "not an Arrow schema: " + e.getMessage());
            }
            long committed = table.addColumns(columns).version();
            return new SchemaChanged(committed, table.definition().userSchema().toJson());
        }, tables.blocking()), (changed, error) -> {
            if (error == null) {
                return new SchemaChangeDone(change, changed, changed.version());
            }
            Throwable cause = Failures.cause(error);
            SchemaReply reply = cause instanceof InvalidInputException invalid
                    ? new SchemaRejected(invalid.field(), invalid.getMessage())
                    : new SchemaRejected("", "the schema change failed: " + cause.getMessage());
            return new SchemaChangeDone(change, reply, -1);
        });
    }

    private Behavior<Command> onSchemaChangeDone(SchemaChangeDone done) {
        commitEnded(done.version());
        done.request().replyTo().tell(done.reply());
        commitNext();
        return stopIfIdle();
    }
}
