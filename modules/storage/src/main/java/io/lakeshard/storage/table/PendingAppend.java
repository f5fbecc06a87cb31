package io.lakeshard.storage.table;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.write.NewDataFile;
import java.util.List;

/**
 * One writer's files awaiting a group commit, under the writer's idempotency key.
 *
 * @param rows the rows written under the key, recorded with it in the commit: a replay of the key is answered with
 *     them. Not always the files' rows: coalesced batches commit their files under the first key.
 */
public record PendingAppend(List<NewDataFile> files, IdempotencyKey key, long rows) {
    public PendingAppend {
        files = List.copyOf(requireNonNull(files, "files is null"));
        requireNonNull(key, "key is null");
        if (rows < 0) {
            throw new IllegalArgumentException("rows is negative");
        }
    }

    /** The files' own rows under the key. */
    public PendingAppend(List<NewDataFile> files, IdempotencyKey key) {
        this(files, key, files.stream().mapToLong(NewDataFile::numRecords).sum());
    }
}
