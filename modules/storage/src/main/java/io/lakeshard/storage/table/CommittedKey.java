package io.lakeshard.storage.table;

import static java.util.Objects.requireNonNull;

import java.util.OptionalLong;

/**
 * Where a writer's key was committed: the version whose commit applied it, and the rows that commit recorded for it
 * (empty when the commit recorded none, as commits by other Delta writers or older Lakeshard versions do).
 */
public record CommittedKey(IdempotencyKey key, long version, OptionalLong rows) {
    public CommittedKey {
        requireNonNull(key, "key is null");
        requireNonNull(rows, "rows is null");
        if (version < 0) {
            throw new IllegalArgumentException("version is negative");
        }
    }
}
