package io.lakeshard.cluster.table;

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
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.table.CommitConflictException;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.write.NewDataFile;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The one writer of a dataset's Delta log in the cluster: a sharded entity per table. Writes that arrive while a
 * commit is in flight are combined into the next commit; small inline batches are coalesced into one file per
 * partition; every write is acknowledged only once its commit is durable, and at most once per idempotency key. A
 * commit that finds the log moved by another writer is refused and the entity reloads: it never merges over a
 * split brain.
 */
public final class TableEntity extends AbstractBehavior<TableEntity.Command> {
    public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Table");
    private static final int MAX_WRITES_PER_COMMIT = 1_000;

    public sealed interface Command extends CborSerializable {}

    /**
     * A write: files the sending node already wrote to shared storage (bulk), or Arrow IPC bytes for this entity
     * to coalesce and write (small batches).
     */
    public record Write(List<NewDataFile> files, byte[] arrowIpc, IdempotencyKey key, long rows, ActorRef<WriteReply> replyTo)
            implements Command {}

    public record GetCommittedVersion(ActorRef<Long> replyTo) implements Command {}

    private record Loaded(long version) implements Command {}

    private record LoadFailed(Throwable error) implements Command {}

    private record CommitFinished(List<Write> writes, GroupWriter.Committed result) implements Command {}

    private record CommitFailed(List<Write> writes, Throwable error) implements Command {}

    public sealed interface WriteReply extends CborSerializable {}

    /** @param applied false when the key was already committed: a retry */
    public record WriteAck(long version, boolean applied, long rows) implements WriteReply {}

    /** @param retryable true when the same write (same key) may simply be sent again */
    public record WriteRejected(boolean retryable, String field, String message) implements WriteReply {}

    public static void init(ActorSystem<?> system, TableStore tables, GroupWriter writer, ActorRef<Topic.Command<TableVersion>> topic) {
        ClusterSharding.get(system).init(Entity.of(ENTITY_KEY,
                context -> create(TableRef.parse(context.getEntityId()), tables, writer, topic)));
    }

    public static Behavior<Command> create(TableRef ref, TableStore tables, GroupWriter writer,
            ActorRef<Topic.Command<TableVersion>> topic) {
        return Behaviors.withStash(10_000, stash -> Behaviors.setup(context ->
                new TableEntity(context, stash, ref, tables, writer, topic).loading()));
    }

    private final StashBuffer<Command> stash;
    private final TableRef ref;
    private final TableStore tables;
    private final GroupWriter writer;
    private final ActorRef<Topic.Command<TableVersion>> topic;
    private final DeltaTable table;
    private final List<Write> queue = new ArrayList<>();
    private long version;
    private boolean committing;

    private TableEntity(ActorContext<Command> context, StashBuffer<Command> stash, TableRef ref, TableStore tables,
            GroupWriter writer, ActorRef<Topic.Command<TableVersion>> topic) {
        super(context);
        this.stash = stash;
        this.ref = ref;
        this.tables = tables;
        this.writer = writer;
        this.topic = topic;
        this.table = tables.table(ref);
    }

    private Behavior<Command> loading() {
        getContext().pipeToSelf(CompletableFuture.supplyAsync(table::latestVersion, tables.blocking()),
                (latest, error) -> error == null ? new Loaded(latest) : new LoadFailed(error));
        return Behaviors.receive(Command.class)
                .onMessage(Loaded.class, loaded -> {
                    version = loaded.version();
                    writer.forget(ref);
                    return stash.unstashAll(this);
                })
                .onMessage(LoadFailed.class, failed -> {
                    getContext().getLog().warn("loading {} failed; writes are refused until it loads", ref, failed.error());
                    stash.unstashAll(Behaviors.receive(Command.class)
                            .onMessage(Write.class, w -> {
                                w.replyTo().tell(new WriteRejected(true, "", "the table is not available: " + message(failed.error())));
                                return Behaviors.same();
                            })
                            .build());
                    return Behaviors.stopped();
                })
                .onAnyMessage(message -> {
                    stash.stash(message);
                    return Behaviors.same();
                })
                .build();
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Write.class, this::onWrite)
                .onMessage(GetCommittedVersion.class, get -> {
                    get.replyTo().tell(version);
                    return this;
                })
                .onMessage(CommitFinished.class, this::onCommitFinished)
                .onMessage(CommitFailed.class, this::onCommitFailed)
                .build();
    }

    private Behavior<Command> onWrite(Write write) {
        queue.add(write);
        if (!committing) {
            commitQueued();
        }
        return this;
    }

    private void commitQueued() {
        List<Write> batch = new ArrayList<>(queue.subList(0, Math.min(queue.size(), MAX_WRITES_PER_COMMIT)));
        queue.subList(0, batch.size()).clear();
        committing = true;
        long expected = version;
        getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> writer.commit(ref, table, batch, expected), tables.blocking()),
                (result, error) -> error == null ? new CommitFinished(batch, result) : new CommitFailed(batch, error));
    }

    private Behavior<Command> onCommitFinished(CommitFinished finished) {
        GroupWriter.Committed result = finished.result();
        boolean advanced = result.version() != version;
        version = result.version();
        for (int i = 0; i < finished.writes().size(); i++) {
            finished.writes().get(i).replyTo().tell(result.replies().get(i));
        }
        if (advanced) {
            topic.tell(Topic.publish(new TableVersion(ref, version)));
        }
        committing = false;
        if (!queue.isEmpty()) {
            commitQueued();
        }
        return this;
    }

    private Behavior<Command> onCommitFailed(CommitFailed failed) {
        Throwable cause = failed.error() instanceof CompletionException c && c.getCause() != null ? c.getCause() : failed.error();
        boolean fenced = cause instanceof CommitConflictException;
        if (fenced) {
            getContext().getLog().warn("{}: {}; reloading", ref, cause.getMessage());
        } else {
            getContext().getLog().error("commit to {} failed", ref, cause);
        }
        for (Write write : failed.writes()) {
            write.replyTo().tell(cause instanceof InvalidInputException invalid
                    ? new WriteRejected(false, invalid.field(), invalid.getMessage())
                    : new WriteRejected(true, "", fenced ? "the table moved under its writer; retry with the same key"
                            : "the commit failed; retry with the same key"));
        }
        committing = false;
        queue.forEach(stash::stash);
        queue.clear();
        return loading();
    }

    private static String message(Throwable error) {
        Throwable cause = error instanceof CompletionException c && c.getCause() != null ? c.getCause() : error;
        return String.valueOf(cause.getMessage());
    }
}
