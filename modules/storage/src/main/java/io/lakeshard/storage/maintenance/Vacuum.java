package io.lakeshard.storage.maintenance;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.internal.fs.HadoopStorage;
import io.lakeshard.storage.table.DataFile;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.TableChange;
import io.lakeshard.storage.table.TableSnapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.fs.FileStatus;

/**
 * Deletes data files that no version within the retention window references: files removed by a commit older than
 * the window, and files never committed (abandoned writes) older than the window. Every version a reader may still
 * time-travel to within the window stays readable.
 */
public final class Vacuum {
    public static final Duration MINIMUM_RETENTION = Duration.ofHours(1);

    private final DeltaTable table;
    private final Clock clock;

    public Vacuum(DeltaTable table, Clock clock) {
        this.table = requireNonNull(table, "table is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** The files a vacuum deleted, or would delete with {@code dryRun}, and its metrics. */
    public record Result(List<URI> files, long bytes, boolean dryRun, Duration duration) {}

    /**
     * @param force allow a retention under {@link #MINIMUM_RETENTION}, which can break readers of recent versions
     */
    public Result run(Duration retention, boolean dryRun, boolean force) {
        if (retention.compareTo(MINIMUM_RETENTION) < 0 && !force) {
            throw new InvalidInputException("retention", "must be at least " + MINIMUM_RETENTION.toHours()
                    + " h unless forced; readers of recent versions would lose files");
        }
        long start = System.nanoTime();
        Instant cutoff = clock.instant().minus(retention);
        Set<String> referenced = referencedSince(cutoff);
        List<URI> doomed = new ArrayList<>();
        long bytes = 0;
        HadoopStorage storage = HadoopStorage.of(table.storage());
        try {
            for (FileStatus status : storage.listStatuses(table.root())) {
                URI uri = status.getPath().toUri();
                String relative = table.root().relativize(uri).getPath();
                if (relative.startsWith("_delta_log/") || referenced.contains(relative)
                        || status.getModificationTime() >= cutoff.toEpochMilli()) {
                    continue;
                }
                doomed.add(uri);
                bytes += status.getLen();
            }
            if (!dryRun) {
                for (URI file : doomed) {
                    storage.delete(file);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("vacuum of " + table.root() + " failed", e);
        }
        return new Result(doomed, bytes, dryRun, Duration.ofNanos(System.nanoTime() - start));
    }

    /** Unescaped relative paths of every file referenced by the version current at {@code cutoff} or any later one. */
    private Set<String> referencedSince(Instant cutoff) {
        TableSnapshot latest = table.latestMetadata();
        long first = table.versionAsOf(cutoff).orElse(0L);
        TableSnapshot base = table.snapshotAt(first);
        Set<String> paths = new HashSet<>();
        base.files().forEach(file -> paths.add(relative(file)));
        for (TableChange change : table.changes(first, latest.version(), latest.schema())) {
            change.adds().forEach(file -> paths.add(relative(file)));
        }
        return paths;
    }

    private String relative(DataFile file) {
        return table.root().relativize(file.uri(table.root())).getPath();
    }
}
