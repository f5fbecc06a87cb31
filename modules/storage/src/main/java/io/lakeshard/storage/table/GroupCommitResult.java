package io.lakeshard.storage.table;

import java.util.List;

/**
 * The outcome of a group commit.
 *
 * @param version the table version after the commit (the unchanged version when every append was a replay)
 * @param applied per append, in order: true if committed now, false if its key was already committed
 */
public record GroupCommitResult(long version, List<Boolean> applied) {
    public GroupCommitResult {
        applied = List.copyOf(applied);
    }
}
