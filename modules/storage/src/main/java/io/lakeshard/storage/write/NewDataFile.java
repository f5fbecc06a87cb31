package io.lakeshard.storage.write;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Parquet file written to a table's directory but not yet committed. Plain data, so the node that encoded the
 * file can hand it to the table's single writer to commit.
 *
 * @param relativePath the file's path below the table root, unescaped (hive-style partition directories)
 * @param partitionValues Delta-serialised partition values by physical column name; a null value is SQL NULL
 * @param statsJson the file's statistics in the Delta log's JSON form
 */
public record NewDataFile(
        String relativePath,
        long sizeBytes,
        long modificationTime,
        Map<String, String> partitionValues,
        long numRecords,
        String statsJson) {

    public NewDataFile {
        requireNonNull(relativePath, "relativePath is null");
        // Null partition values are meaningful, so Map.copyOf (which rejects them) will not do.
        partitionValues = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(partitionValues, "partitionValues is null")));
        requireNonNull(statsJson, "statsJson is null");
    }
}
