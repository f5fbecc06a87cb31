package io.lakeshard.cluster.freshness;

import static java.util.Objects.requireNonNull;

import io.lakeshard.cluster.registry.DatasetRecord;
import io.lakeshard.cluster.registry.RegistryClient;
import io.lakeshard.cluster.table.TableRef;
import io.lakeshard.query.catalog.TableResolver;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.snapshot.SnapshotCache;
import io.lakeshard.storage.table.TableSnapshot;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/** Names to tables for queries on this node: the registry says what exists, the node's caches hold the snapshots. */
public final class ClusterTableResolver implements TableResolver {
    private final RegistryClient registry;
    private final SnapshotService snapshots;
    private final Duration timeout;
    private final Function<TableRef, CompletionStage<Long>> committedVersion;

    /**
     * @param committedVersion asks a table's writer for the version it has acknowledged
     */
    public ClusterTableResolver(RegistryClient registry, SnapshotService snapshots, Duration timeout,
            Function<TableRef, CompletionStage<Long>> committedVersion) {
        this.registry = requireNonNull(registry, "registry is null");
        this.snapshots = requireNonNull(snapshots, "snapshots is null");
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.committedVersion = requireNonNull(committedVersion, "committedVersion is null");
    }

    @Override
    public Optional<SnapshotCache> resolve(String tenant, DatasetName name) {
        return ref(tenant, name).map(snapshots::cache);
    }

    @Override
    public Optional<TableSnapshot> readYourWrites(String tenant, DatasetName name) {
        return ref(tenant, name).map(ref -> {
            long acknowledged = await(committedVersion.apply(ref).toCompletableFuture());
            return await(snapshots.awaitVersion(ref, acknowledged));
        });
    }

    @Override
    public List<DatasetName> list(String tenant) {
        return await(registry.list(tenant).toCompletableFuture()).stream().map(DatasetRecord::name).toList();
    }

    private Optional<TableRef> ref(String tenant, DatasetName name) {
        return await(registry.get(tenant, name).toCompletableFuture()).map(DatasetRecord::ref);
    }

    /**
     * The answer, or its failure as it is: a storage outage while a snapshot catches up, or the answer not coming in
     * time, is the caller's to retry (UNAVAILABLE), not an internal error.
     */
    private <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the cluster", e);
        } catch (ExecutionException e) {
            throw new CompletionException(e.getCause());
        } catch (TimeoutException e) {
            throw new CompletionException(new TimeoutException("no answer within " + timeout));
        }
    }
}
