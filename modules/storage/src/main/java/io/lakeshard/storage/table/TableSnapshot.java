package io.lakeshard.storage.table;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.TableSchema;
import io.lakeshard.storage.internal.kernel.TableProperties;
import java.net.URI;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One version of a table: its schema, properties and every data file it references. Immutable, so a reader can hold
 * it for the length of a query while the table moves on.
 *
 * @param readOnlyReason why Lakeshard does not write this version (its protocol has a feature Lakeshard does not write
 *     correctly), or empty when it does
 */
public record TableSnapshot(
        URI tableRoot,
        long version,
        long timestampMillis,
        TableSchema schema,
        Map<String, String> properties,
        Optional<String> readOnlyReason,
        Map<String, DataFile> filesByPath) {

    public TableSnapshot {
        requireNonNull(tableRoot, "tableRoot is null");
        requireNonNull(schema, "schema is null");
        properties = Map.copyOf(requireNonNull(properties, "properties is null"));
        requireNonNull(readOnlyReason, "readOnlyReason is null");
        requireNonNull(filesByPath, "filesByPath is null");
        // Kept as is when it is already one: immutable, and shared with the versions derived from it.
        filesByPath = filesByPath instanceof FileSet fileSet ? fileSet : FileSet.of(filesByPath.values());
    }

    /** The files of the version these commits, in order since this one, lead to. */
    public Map<String, DataFile> filesAfter(List<TableChange> changes) {
        return ((FileSet) filesByPath).after(changes);
    }

    public Collection<DataFile> files() {
        return filesByPath.values();
    }

    /** The rows of the table: the files' rows less those their deletion vectors delete. */
    public long numRecords() {
        return files().stream().mapToLong(DataFile::liveRecords).sum();
    }

    public long sizeBytes() {
        return files().stream().mapToLong(DataFile::sizeBytes).sum();
    }

    /**
     * Whether Lakeshard created the table. Its writer records a null count for every column a file holds, so a column
     * a file's statistics do not name is not in the file; other writers leave some out (Spark, after 32 columns).
     */
    public boolean createdByLakeshard() {
        return properties.containsKey(TableProperties.ARROW_SCHEMA);
    }

    /** Throws {@link ReadOnlyTableException} unless Lakeshard writes this version's protocol correctly. */
    public void requireWritable() {
        readOnlyReason.ifPresent(reason -> {
            throw new ReadOnlyTableException(reason);
        });
    }
}
