package io.lakeshard.cluster.freshness;

import static java.util.Objects.requireNonNull;

import io.lakeshard.cluster.registry.DatasetRecord;
import io.lakeshard.cluster.registry.RegistryClient;
import io.lakeshard.cluster.table.TableRef;
import io.lakeshard.query.catalog.TableResolver;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.snapshot.SnapshotCache;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Names to tables for queries on this node: the registry says what exists, the node's caches hold the snapshots. */
public final class ClusterTableResolver implements TableResolver {
    private final RegistryClient registry;
    private final SnapshotService snapshots;
    private final Duration timeout;

    private final java.util.function.Function<TableRef, java.util.concurrent.CompletionStage<Long>> committedVersion;

    /**
     * @param committedVersion asks a table's writer for the version it has acknowledged
     */
    public ClusterTableResolver(RegistryClient registry, SnapshotService snapshots, Duration timeout,
            java.util.function.Function<TableRef, java.util.concurrent.CompletionStage<Long>> committedVersion) {
        this.committedVersion = requireNonNull(committedVersion, "committedVersion is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.snapshots = requireNonNull(snapshots, "snapshots is null");
        this.timeout = requireNonNull(timeout, "timeout is null");
    }

    @Override
    public Optional<SnapshotCache> resolve(String tenant, DatasetName name) {
        return await(registry.get(tenant, name).toCompletableFuture())
                .map(record -> snapshots.cache(new TableRef(tenant, name, record.incarnation())));
    }

    @Override
    public io.lakeshard.storage.table.TableSnapshot readYourWrites(String tenant, DatasetName name, SnapshotCache cache) {
        DatasetRecord record = await(registry.get(tenant, name).toCompletableFuture())
                .orElseThrow(() -> new io.lakeshard.query.UnknownTableException("table '" + name + "' does not exist"));
        TableRef ref = new TableRef(tenant, name, record.incarnation());
        long acknowledged = await(committedVersion.apply(ref).toCompletableFuture());
        return await(snapshots.awaitVersion(ref, acknowledged));
    }

    @Override
    public List<DatasetName> list(String tenant) {
        return await(registry.list(tenant).toCompletableFuture()).stream().map(DatasetRecord::name).toList();
    }

    private <T> T await(java.util.concurrent.CompletableFuture<T> future) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking the registry", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the registry did not answer: " + e.getMessage(), e);
        }
    }
}
