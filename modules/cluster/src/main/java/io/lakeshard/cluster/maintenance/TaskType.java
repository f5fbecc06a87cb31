package io.lakeshard.cluster.maintenance;

/** The maintenance a dataset gets on its policy's schedule. */
public enum TaskType {
    OPTIMIZE,
    VACUUM,
    RETENTION
}
