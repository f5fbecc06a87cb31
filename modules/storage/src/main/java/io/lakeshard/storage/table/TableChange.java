package io.lakeshard.storage.table;

import java.util.List;

/** What one commit changed in a table's file list. */
public record TableChange(long version, long timestampMillis, List<DataFile> adds, List<String> removedPaths, boolean metadataChanged) {
    public TableChange {
        adds = List.copyOf(adds);
        removedPaths = List.copyOf(removedPaths);
    }
}
