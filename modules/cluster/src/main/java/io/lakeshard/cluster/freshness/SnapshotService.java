package io.lakeshard.cluster.freshness;

import static java.util.Objects.requireNonNull;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.pubsub.Topic;
import io.lakeshard.cluster.table.TableRef;
import io.lakeshard.cluster.table.TableStore;
import io.lakeshard.cluster.table.TableVersion;
import io.lakeshard.storage.snapshot.SnapshotCache;
import io.lakeshard.storage.table.TableSnapshot;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node's snapshot of every table it has read fresh: refreshed at once when a table's writer publishes a
 * new version, and polled on an interval for anything a lost message missed.
 */
public final class SnapshotService {
    private static final Logger log = LoggerFactory.getLogger(SnapshotService.class);

    private final TableStore tables;
    private final Map<TableRef, SnapshotCache> caches = new ConcurrentHashMap<>();
    private final Map<TableRef, Long> published = new ConcurrentHashMap<>();

    /** Snapshot refreshes that applied only new commits (cache hits), summed over this node's tables. */
    public long incrementalRefreshes() {
        return caches.values().stream().mapToLong(SnapshotCache::incrementalRefreshes).sum();
    }

    /** Snapshot loads that replayed the log from a checkpoint (cache misses). */
    public long fullLoads() {
        return caches.values().stream().mapToLong(SnapshotCache::fullLoads).sum();
    }

    /** Versions published but not yet in this node's snapshots, summed over tables: 0 when everything is fresh. */
    public long lagVersions() {
        long lag = 0;
        for (Map.Entry<TableRef, Long> entry : published.entrySet()) {
            SnapshotCache cache = caches.get(entry.getKey());
            if (cache != null) {
                lag += Math.max(0, entry.getValue() - cache.cachedVersion());
            }
        }
        return lag;
    }

    public SnapshotService(TableStore tables) {
        this.tables = requireNonNull(tables, "tables is null");
    }

    public SnapshotCache cache(TableRef ref) {
        return caches.computeIfAbsent(ref, r -> new SnapshotCache(tables.table(r)));
    }

    /** Refreshes until the cached snapshot holds {@code version}: read-your-writes for a version the writer acknowledged. */
    public CompletableFuture<TableSnapshot> awaitVersion(TableRef ref, long version) {
        SnapshotCache cache = cache(ref);
        Optional<TableSnapshot> cached = cache.cached();
        if (cached.isPresent() && cached.get().version() >= version) {
            // Published versions keep the cache fresh, so a query usually finds what it must read already here:
            // reading the log again would cost every query a look at it.
            return CompletableFuture.completedFuture(cached.get());
        }
        return CompletableFuture.supplyAsync(() -> {
            TableSnapshot snapshot = cache.refresh();
            if (snapshot.version() < version) {
                throw new IllegalStateException(ref + " is at version " + snapshot.version() + ", not yet " + version);
            }
            return snapshot;
        }, tables.blocking());
    }

    void onVersion(TableVersion published) {
        this.published.merge(published.table(), published.version(), Math::max);
        SnapshotCache cache = caches.get(published.table());
        if (cache == null || cache.cachedVersion() >= published.version()) {
            return;
        }
        refresh(published.table(), cache);
    }

    void refreshAll() {
        caches.forEach(this::refresh);
    }

    private void refresh(TableRef ref, SnapshotCache cache) {
        CompletableFuture.runAsync(cache::refresh, tables.blocking()).exceptionally(error -> {
            log.warn("refreshing the snapshot of {} failed; the next version or poll retries", ref, error);
            return null;
        });
    }

    private enum Poll { TICK }

    /** The actor that feeds this service: published versions, and the poll. */
    public Behavior<Object> subscriber(ActorRef<Topic.Command<TableVersion>> topic, Duration pollInterval) {
        return Behaviors.setup(context -> {
            topic.tell(Topic.subscribe(context.getSelf().narrow()));
            return Behaviors.withTimers(timers -> {
                timers.startTimerWithFixedDelay(Poll.TICK, pollInterval);
                return Behaviors.receive(Object.class)
                        .onMessage(TableVersion.class, published -> {
                            onVersion(published);
                            return Behaviors.same();
                        })
                        .onMessageEquals(Poll.TICK, () -> {
                            refreshAll();
                            return Behaviors.same();
                        })
                        .build();
            });
        });
    }
}
