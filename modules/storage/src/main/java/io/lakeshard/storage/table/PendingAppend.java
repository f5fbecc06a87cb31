package io.lakeshard.storage.table;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.write.NewDataFile;
import java.util.List;

/** One writer's files awaiting a group commit, under the writer's idempotency key. */
public record PendingAppend(List<NewDataFile> files, IdempotencyKey key) {
    public PendingAppend {
        files = List.copyOf(requireNonNull(files, "files is null"));
        requireNonNull(key, "key is null");
    }
}
