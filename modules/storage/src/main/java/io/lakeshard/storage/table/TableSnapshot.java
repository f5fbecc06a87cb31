package io.lakeshard.storage.table;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.TableSchema;
import java.net.URI;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One version of a table: its schema, properties and every data file it references. Immutable, so a reader can hold
 * it for the length of a query while the table moves on.
 */
public record TableSnapshot(
        URI tableRoot,
        long version,
        long timestampMillis,
        TableSchema schema,
        Map<String, String> properties,
        Map<String, DataFile> filesByPath) {

    public TableSnapshot {
        requireNonNull(tableRoot, "tableRoot is null");
        requireNonNull(schema, "schema is null");
        properties = Map.copyOf(requireNonNull(properties, "properties is null"));
        filesByPath = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(filesByPath, "filesByPath is null")));
    }

    public Collection<DataFile> files() {
        return filesByPath.values();
    }

    public long numRecords() {
        return files().stream().mapToLong(DataFile::numRecords).sum();
    }

    public long sizeBytes() {
        return files().stream().mapToLong(DataFile::sizeBytes).sum();
    }
}
