package io.lakeshard.storage.dataset;

import java.time.Duration;

/**
 * How a dataset is looked after: what the maintenance scheduler runs, and how often.
 *
 * @param optimizeEvery how often small files are packed
 * @param vacuumEvery how often unreferenced files are deleted
 * @param vacuumRetention how long replaced files stay readable for time travel and running queries
 * @param retentionDays days of data kept; 0 keeps everything
 */
public record MaintenancePolicy(Duration optimizeEvery, Duration vacuumEvery, Duration vacuumRetention, int retentionDays) {

    public MaintenancePolicy {
        if (optimizeEvery.compareTo(Duration.ofMinutes(1)) < 0) {
            throw new InvalidInputException("policy.optimize_every", "at least 1 minute");
        }
        if (vacuumEvery.compareTo(Duration.ofMinutes(1)) < 0) {
            throw new InvalidInputException("policy.vacuum_every", "at least 1 minute");
        }
        if (vacuumRetention.compareTo(Duration.ofHours(1)) < 0) {
            throw new InvalidInputException("policy.vacuum_retention", "at least 1 hour");
        }
        if (retentionDays < 0) {
            throw new InvalidInputException("policy.retention_days", "0 (keep everything) or more");
        }
    }

    public static MaintenancePolicy defaults() {
        return new MaintenancePolicy(Duration.ofHours(1), Duration.ofHours(6), Duration.ofDays(7), 0);
    }
}
