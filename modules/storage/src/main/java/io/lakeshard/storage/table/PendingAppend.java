package io.lakeshard.storage.table;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.write.NewDataFile;
import java.util.List;
import java.util.Optional;

/**
 * One writer's files awaiting a group commit, under the writer's idempotency key, or under none: an unkeyed append
 * is always applied (at least once), as OTLP exporters' retries are, whose duplicates readers remove.
 *
 * @param rows the rows written under the key, recorded with it in the commit: a replay of the key is answered with
 *     them. Not always the files' rows: coalesced batches commit their files under the first key.
 */
public record PendingAppend(List<NewDataFile> files, Optional<IdempotencyKey> key, long rows) {
    public PendingAppend {
        files = List.copyOf(requireNonNull(files, "files is null"));
        requireNonNull(key, "key is null");
        if (rows < 0) {
            throw new IllegalArgumentException("rows is negative");
        }
    }

    /** The files' own rows under the key. */
    public PendingAppend(List<NewDataFile> files, IdempotencyKey key) {
        this(files, Optional.of(key), rows(files));
    }

    /** Files applied whatever was committed before: no key, nothing recorded for a retry to be recognised by. */
    public static PendingAppend unkeyed(List<NewDataFile> files) {
        return new PendingAppend(files, Optional.empty(), rows(files));
    }

    private static long rows(List<NewDataFile> files) {
        return files.stream().mapToLong(NewDataFile::numRecords).sum();
    }
}
