package io.lakeshard.storage.table;

import java.time.Duration;

/**
 * Log housekeeping for a table.
 *
 * @param checkpointInterval commits between checkpoints: readers replay at most this many JSON commits
 * @param logRetention how long commit files are kept after a checkpoint supersedes them; bounds time travel
 */
public record TableSettings(int checkpointInterval, Duration logRetention) {
    public TableSettings {
        if (checkpointInterval < 1) {
            throw new IllegalArgumentException("checkpointInterval must be positive");
        }
        if (logRetention.isNegative() || logRetention.isZero()) {
            throw new IllegalArgumentException("logRetention must be positive");
        }
    }

    public static TableSettings defaults() {
        return new TableSettings(10, Duration.ofDays(30));
    }
}
