package io.lakeshard.storage.table;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.stats.FileStats;
import java.net.URI;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A data file a table version references.
 *
 * @param path the path as the log records it: relative to the table root and URI-encoded
 * @param partitionValues Delta-serialised partition values by physical column name
 */
public record DataFile(
        String path,
        Map<String, String> partitionValues,
        long sizeBytes,
        long modificationTime,
        String statsJson,
        FileStats stats) {

    public DataFile {
        requireNonNull(path, "path is null");
        partitionValues = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(partitionValues, "partitionValues is null")));
        requireNonNull(stats, "stats is null");
    }

    public long numRecords() {
        return stats.numRecords();
    }

    public URI uri(URI tableRoot) {
        URI relative = URI.create(path);
        return relative.isAbsolute() ? relative : tableRoot.resolve(relative);
    }
}
