package io.lakeshard.cluster.maintenance;

import java.util.concurrent.TimeoutException;

/** Waiting for a task on demand ended at its deadline; the task itself goes on under its lease. */
public final class MaintenanceTimeoutException extends TimeoutException {
    private static final long serialVersionUID = 1L;

    public MaintenanceTimeoutException(String message) {
        super(message);
    }
}
