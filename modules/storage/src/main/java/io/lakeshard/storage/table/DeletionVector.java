package io.lakeshard.storage.table;

import static java.util.Objects.requireNonNull;

/**
 * The rows of a data file that later commits deleted without rewriting it (a Delta deletion vector), as the log
 * describes them; {@link DeltaTable#deletedRows} reads the row positions.
 *
 * @param storageType {@code u}: a file beside the table named by a UUID; {@code p}: a file at an absolute path;
 *     {@code i}: the vector inline, in {@code pathOrInlineDv}
 * @param offset where the vector starts in its file; -1 for an inline vector
 * @param cardinality how many of the file's rows it deletes
 */
public record DeletionVector(String storageType, String pathOrInlineDv, int offset, int sizeInBytes, long cardinality) {
    public DeletionVector {
        requireNonNull(storageType, "storageType is null");
        requireNonNull(pathOrInlineDv, "pathOrInlineDv is null");
        if (cardinality < 0 || sizeInBytes < 0) {
            throw new IllegalArgumentException("a deletion vector's size and cardinality are not negative");
        }
    }

    /** Identifies the vector within its table, as Delta's own readers key it. */
    public String uniqueId() {
        return storageType + pathOrInlineDv + (offset < 0 ? "" : "@" + offset);
    }
}
