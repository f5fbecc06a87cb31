package io.lakeshard.cluster.table;

import static java.util.Objects.requireNonNull;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.EntityRef;
import io.lakeshard.arrow.ArrowStreams;
import io.lakeshard.cluster.ResendingAsk;
import io.lakeshard.cluster.freshness.SnapshotService;
import io.lakeshard.cluster.registry.DatasetRecord;
import io.lakeshard.cluster.registry.RegistryClient;
import io.lakeshard.query.UnknownTableException;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.ReadOnlyTableException;
import io.lakeshard.storage.table.TableSnapshot;
import io.lakeshard.storage.write.BatchWriter;
import io.lakeshard.storage.write.NewDataFile;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Every node's write path: finds the dataset's writer and hands it the batch. A batch above the inline threshold is
 * encoded to Parquet here, on the node that received it, and only the files' metadata crosses the cluster; a small
 * batch travels as Arrow IPC so the writer can coalesce it with others into one file.
 */
public final class IngestRouter {
    /** Below Akka Artery's default maximum frame size (256 KiB), leaving room for the envelope. */
    public static final int MAX_INLINE_BYTES = 192 * 1024;

    private final ClusterSharding sharding;
    private final ResendingAsk resending;
    private final RegistryClient registry;
    private final SnapshotService snapshots;
    private final TableStore tables;
    private final BufferAllocator allocator;
    private final long inlineThresholdBytes;
    private final Clock clock;

    public IngestRouter(ActorSystem<?> system, RegistryClient registry, SnapshotService snapshots, TableStore tables,
            BufferAllocator allocator, long inlineThresholdBytes, Duration timeout, Duration redelivery, Clock clock) {
        this.sharding = ClusterSharding.get(system);
        this.resending = ResendingAsk.whileMembersFail(system, timeout, redelivery);
        this.registry = requireNonNull(registry, "registry is null");
        this.snapshots = requireNonNull(snapshots, "snapshots is null");
        this.tables = requireNonNull(tables, "tables is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.inlineThresholdBytes = inlineThresholdBytes;
        this.clock = requireNonNull(clock, "clock is null");
    }

    public CompletionStage<TableEntity.WriteReply> write(String tenant, DatasetName name, VectorSchemaRoot batch, IdempotencyKey key) {
        return write(tenant, name, batch, Optional.of(key));
    }

    /** @param key empty: an unkeyed write, applied each time it arrives (see {@link TableEntity.Write}) */
    public CompletionStage<TableEntity.WriteReply> write(String tenant, DatasetName name, VectorSchemaRoot batch,
            Optional<IdempotencyKey> key) {
        return table(tenant, name).thenCompose(record -> {
            TableRef ref = record.ref();
            return CompletableFuture.supplyAsync(() -> prepare(ref, record, batch), tables.blocking())
                    .thenCompose(prepared -> prepared.rejection() != null
                            ? CompletableFuture.completedFuture(prepared.rejection())
                            : deliver(entity(ref), replyTo -> new TableEntity.Write(prepared.files(), prepared.ipc(), key,
                                    prepared.rows(), replyTo), key.isPresent()));
        });
    }

    /** A keyed write may be sent twice (the writer commits a key once), an unkeyed one not: each copy would be stored. */
    private CompletionStage<TableEntity.WriteReply> deliver(EntityRef<TableEntity.Command> entity,
            Function<ActorRef<TableEntity.WriteReply>, TableEntity.Command> write, boolean keyed) {
        return keyed ? resending.ask(entity, write) : entity.ask(write::apply, resending.timeout());
    }

    /** The version the dataset's writer has committed: what a read-your-writes query waits for. */
    public CompletionStage<Long> committedVersion(TableRef ref) {
        return resending.ask(entity(ref), TableEntity.GetCommittedVersion::new);
    }

    public CompletionStage<DatasetRecord> table(String tenant, DatasetName name) {
        return registry.get(tenant, name).thenApply(record -> record.orElseThrow(
                () -> new UnknownTableException("dataset " + name + " does not exist")));
    }

    private EntityRef<TableEntity.Command> entity(TableRef ref) {
        return sharding.entityRefFor(TableEntity.ENTITY_KEY, ref.entityId());
    }

    /** A batch ready to send, as files or inline bytes, or the reason it was refused. */
    private record Prepared(TableEntity.WriteRejected rejection, List<NewDataFile> files, byte[] ipc, long rows) {}

    /**
     * Validates here, so bad input, or a write to a table Lakeshard does not write (read-only: its protocol), is
     * refused by the node that received it; then bulk or inline.
     */
    private Prepared prepare(TableRef ref, DatasetRecord record, VectorSchemaRoot batch) {
        try {
            return prepared(ref, snapshots.cache(ref).current(), record, batch);
        } catch (InvalidInputException stale) {
            // A column added a moment ago may not be in this node's snapshot yet: look at the log once more.
            try {
                return prepared(ref, snapshots.cache(ref).refresh(), record, batch);
            } catch (InvalidInputException e) {
                return new Prepared(new TableEntity.WriteRejected(false, e.field(), e.getMessage()), List.of(), null, 0);
            } catch (ReadOnlyTableException e) {
                return readOnly(e);
            }
        } catch (ReadOnlyTableException e) {
            return readOnly(e);
        }
    }

    /** Inline bytes of a valid batch, or its files: writing checks the batch first and writes nothing if it is not. */
    private Prepared prepared(TableRef ref, TableSnapshot snapshot, DatasetRecord record, VectorSchemaRoot batch) {
        snapshot.requireWritable();
        BatchWriter writer = BatchWriter.forDefinition(tables.table(ref).storage(), snapshot.tableRoot(), snapshot.schema(),
                record.spec().toDefinition(), allocator);
        long rows = batch.getRowCount();
        if (bytes(batch) <= inlineThresholdBytes) {
            writer.validate(batch);
            byte[] ipc = ArrowStreams.write(batch);
            // Artery drops a message larger than its frame: whatever the estimate said, a large one goes as files.
            if (ipc.length <= MAX_INLINE_BYTES) {
                return new Prepared(null, List.of(), ipc, rows);
            }
        }
        return new Prepared(null, writer.write(batch, UUID.randomUUID().toString(), clock.instant()), null, rows);
    }

    private static Prepared readOnly(ReadOnlyTableException refusal) {
        return new Prepared(new TableEntity.WriteRejected(false, "", refusal.getMessage(), true), List.of(), null, 0);
    }

    static long bytes(VectorSchemaRoot batch) {
        return batch.getFieldVectors().stream().mapToLong(ValueVector::getBufferSize).sum();
    }
}
