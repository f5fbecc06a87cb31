package io.lakeshard.storage.snapshot;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.table.DataFile;
import io.lakeshard.storage.table.DeletionVector;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.TableChange;
import io.lakeshard.storage.table.TableSnapshot;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a table's latest snapshot in memory and moves it forward by applying only the commits since the cached
 * version, instead of replaying the log from the last checkpoint on every read. Snapshots are immutable, so a reader
 * pins one by holding it.
 */
public final class SnapshotCache {
    private static final Logger log = LoggerFactory.getLogger(SnapshotCache.class);
    private static final int MAX_CACHED_VECTORS = 1024;

    private final DeltaTable table;
    private final AtomicLong fullLoads = new AtomicLong();
    private final AtomicLong incrementalRefreshes = new AtomicLong();
    /**
     * The rows deletion vectors delete, by vector: a vector never changes (a later delete writes a new one), so each is
     * read once while it is in use, not once per query.
     */
    private final Map<String, long[]> deletedRows = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, long[]> eldest) {
            return size() > MAX_CACHED_VECTORS;
        }
    };
    private volatile TableSnapshot current;

    public SnapshotCache(DeltaTable table) {
        this.table = requireNonNull(table, "table is null");
    }

    /** The cached snapshot, loading it on first use; may lag the table until {@link #refresh()}. */
    public TableSnapshot current() {
        TableSnapshot snapshot = current;
        return snapshot != null ? snapshot : refresh();
    }

    /** The cached snapshot, if one was loaded; never touches the log. */
    public Optional<TableSnapshot> cached() {
        return Optional.ofNullable(current);
    }

    /** The cached version, or -1 before the first load; never touches the log. */
    public long cachedVersion() {
        TableSnapshot snapshot = current;
        return snapshot == null ? -1 : snapshot.version();
    }

    /** Brings the cache to the table's latest version and returns it. */
    public synchronized TableSnapshot refresh() {
        TableSnapshot cached = current;
        if (cached == null) {
            return load();
        }
        Optional<List<TableChange>> followed;
        try {
            followed = table.commitsAfter(cached.version(), cached.schema());
        } catch (RuntimeException e) {
            // A commit found by name and gone when read (cleaned from the log meanwhile): the log tells what is left.
            followed = Optional.empty();
        }
        if (followed.isPresent()) {
            List<TableChange> commits = followed.get();
            if (commits.isEmpty()) {
                return cached;
            }
            TableChange last = commits.get(commits.size() - 1);
            if (!last.metadataChanged()) {
                // Only files changed, as a writer's published version usually brings: the cached metadata still holds.
                return advance(new TableSnapshot(cached.tableRoot(), last.version(), last.timestampMillis(), cached.schema(),
                        cached.properties(), cached.readOnlyReason(), cached.filesAfter(commits)));
            }
        }
        TableSnapshot latest = table.latestMetadata();
        if (latest.version() == cached.version()) {
            return cached;
        }
        try {
            List<TableChange> changes = table.changes(cached.version(), latest.version(), latest.schema());
            return advance(new TableSnapshot(latest.tableRoot(), latest.version(), latest.timestampMillis(),
                    latest.schema(), latest.properties(), latest.readOnlyReason(), cached.filesAfter(changes)));
        } catch (RuntimeException e) {
            // The commits since the cached version may have been cleaned from the log: start over from a checkpoint.
            log.info("incremental refresh of {} from version {} failed ({}); loading in full", table.root(), cached.version(), e.toString());
            return load();
        }
    }

    private TableSnapshot advance(TableSnapshot refreshed) {
        incrementalRefreshes.incrementAndGet();
        current = refreshed;
        return refreshed;
    }

    /** A pinned past version: the cached one when it matches, else loaded from the log. */
    public TableSnapshot at(long version) {
        TableSnapshot snapshot = current;
        if (snapshot != null && snapshot.version() == version) {
            return snapshot;
        }
        return table.snapshotAt(version);
    }

    public TableSnapshot asOf(Instant time) {
        return table.snapshotAsOf(time);
    }

    /** The positions of the rows {@code file}'s deletion vector deletes, ascending; none for a file without one. */
    public long[] deletedRows(DataFile file) {
        if (file.deletionVector().isEmpty()) {
            return new long[0];
        }
        String id = file.deletionVector().map(DeletionVector::uniqueId).orElseThrow();
        synchronized (deletedRows) {
            long[] cached = deletedRows.get(id);
            if (cached != null) {
                return cached;
            }
        }
        long[] rows = table.deletedRows(file);
        synchronized (deletedRows) {
            deletedRows.put(id, rows);
        }
        return rows;
    }

    public long fullLoads() {
        return fullLoads.get();
    }

    public long incrementalRefreshes() {
        return incrementalRefreshes.get();
    }

    private TableSnapshot load() {
        TableSnapshot loaded = table.snapshot();
        fullLoads.incrementAndGet();
        current = loaded;
        return loaded;
    }
}
