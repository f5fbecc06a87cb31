package io.lakeshard.cluster.registry;

import static java.util.Objects.requireNonNull;

import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import io.lakeshard.cluster.table.PredicateSpec;
import io.lakeshard.cluster.table.TableEntity;
import io.lakeshard.query.UnknownTableException;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/** Dataset operations that span the registry and the table's writer. */
public final class DatasetService {
    private final ClusterSharding sharding;
    private final RegistryClient registry;
    private final Duration timeout;

    public DatasetService(ActorSystem<?> system, RegistryClient registry, Duration timeout) {
        this.sharding = ClusterSharding.get(system);
        this.registry = requireNonNull(registry, "registry is null");
        this.timeout = requireNonNull(timeout, "timeout is null");
    }

    /**
     * Adds nullable columns: the writer changes the table first, then the registry records the schema the table now
     * has. If the node dies in between, the table is ahead of the registry, and the next evolution or a retry of
     * this one (its columns then exist: refused) shows it; writes and queries use the table's own schema.
     */
    public CompletionStage<DatasetRecord> addColumns(String tenant, DatasetName name, List<Field> columns) {
        return find(tenant, name).thenCompose(record -> {
            record.requireWritable();
            return sharding.entityRefFor(TableEntity.ENTITY_KEY, record.ref().entityId())
                    .<TableEntity.SchemaReply>ask(replyTo -> new TableEntity.AddColumns(new Schema(columns).toJson(), replyTo), timeout)
                    .thenCompose(reply -> {
                        if (reply instanceof TableEntity.SchemaRejected rejected) {
                            throw new InvalidInputException(rejected.field().isEmpty() ? "columns" : rejected.field(), rejected.message());
                        }
                        DatasetSpec spec = record.spec();
                        DatasetSpec evolved = new DatasetSpec(((TableEntity.SchemaChanged) reply).userSchemaJson(), spec.partitionColumns(),
                                spec.eventTimeColumn(), spec.bloomFilterColumns(), spec.sortColumns(), spec.zOrderColumns(),
                                spec.targetFileSizeBytes(), spec.compressionLevel(), spec.uniqueKeyColumns());
                        return registry.recordSchema(tenant, name, evolved).thenApply(DatasetService::accepted);
                    });
        });
    }

    /** Deletes the rows matching every predicate, through the table's writer. */
    public CompletionStage<TableEntity.RowsDeleted> deleteRows(String tenant, DatasetName name,
            List<PredicateSpec> predicates) {
        return find(tenant, name).thenCompose(record -> sharding.entityRefFor(TableEntity.ENTITY_KEY, record.ref().entityId())
                .<TableEntity.DeleteReply>ask(replyTo -> new TableEntity.DeleteRows(predicates, replyTo), timeout)
                .thenApply(reply -> {
                    if (reply instanceof TableEntity.DeleteRejected rejected) {
                        throw new InvalidInputException(rejected.field().isEmpty() ? "where" : rejected.field(), rejected.message());
                    }
                    return (TableEntity.RowsDeleted) reply;
                }));
    }

    /** Drops a dataset: gone from the registry at once, its files purged after the grace period. */
    public CompletionStage<DatasetRecord> drop(String tenant, DatasetName name) {
        return registry.drop(tenant, name).thenApply(DatasetService::accepted);
    }

    public CompletionStage<DatasetRecord> updatePolicy(String tenant, DatasetName name, MaintenancePolicy policy) {
        return registry.updatePolicy(tenant, name, policy).thenApply(DatasetService::accepted);
    }

    private CompletionStage<DatasetRecord> find(String tenant, DatasetName name) {
        return registry.get(tenant, name).thenCompose(record -> record.<CompletionStage<DatasetRecord>>map(CompletableFuture::completedFuture)
                .orElseGet(() -> CompletableFuture.failedFuture(new UnknownTableException("dataset " + name + " does not exist"))));
    }

    private static DatasetRecord accepted(DatasetRegistry.Reply reply) {
        if (reply instanceof DatasetRegistry.Accepted accepted) {
            return accepted.record();
        }
        DatasetRegistry.Rejected rejected = (DatasetRegistry.Rejected) reply;
        if (rejected.code() == DatasetRegistry.Code.NOT_FOUND) {
            throw new UnknownTableException(rejected.message());
        }
        throw new InvalidInputException(rejected.field(), rejected.message());
    }
}
