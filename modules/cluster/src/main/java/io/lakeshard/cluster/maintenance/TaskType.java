package io.lakeshard.cluster.maintenance;

import io.lakeshard.storage.dataset.MaintenancePolicy;

/** The maintenance a dataset gets on its policy's schedule. */
public enum TaskType {
    OPTIMIZE,
    VACUUM,
    RETENTION;

    /** Whether {@code policy} gives a dataset this task: retention only when it keeps limited days. */
    public boolean scheduledBy(MaintenancePolicy policy) {
        return this != RETENTION || policy.retentionDays() > 0;
    }
}
