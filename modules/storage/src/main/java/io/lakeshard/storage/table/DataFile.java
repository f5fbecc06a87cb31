package io.lakeshard.storage.table;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.stats.FileStats;
import java.net.URI;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A data file a table version references.
 *
 * @param path the path as the log records it: relative to the table root and URI-encoded
 * @param partitionValues Delta-serialised partition values by physical column name
 * @param deletionVector the file's rows a later commit deleted, if any: they are in the file, and no longer in the table
 */
public record DataFile(
        String path,
        Map<String, String> partitionValues,
        long sizeBytes,
        long modificationTime,
        String statsJson,
        FileStats stats,
        Optional<DeletionVector> deletionVector) {

    public DataFile {
        requireNonNull(path, "path is null");
        partitionValues = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(partitionValues, "partitionValues is null")));
        requireNonNull(stats, "stats is null");
        requireNonNull(deletionVector, "deletionVector is null");
    }

    /** The rows the file holds, deleted ones included (what its statistics describe); -1 when unknown. */
    public long numRecords() {
        return stats.numRecords();
    }

    /** The rows of the file that are in the table; -1 when unknown. */
    public long liveRecords() {
        long records = numRecords();
        return records < 0 ? records : records - deletionVector.map(DeletionVector::cardinality).orElse(0L);
    }

    public URI uri(URI tableRoot) {
        URI relative = URI.create(path);
        return relative.isAbsolute() ? relative : tableRoot.resolve(relative);
    }
}
