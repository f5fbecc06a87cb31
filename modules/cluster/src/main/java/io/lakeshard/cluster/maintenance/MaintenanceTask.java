package io.lakeshard.cluster.maintenance;

import io.lakeshard.storage.dataset.MaintenancePolicy;
import io.lakeshard.storage.maintenance.MaintenanceMetrics;
import io.lakeshard.storage.maintenance.PreparedRewrite;
import java.time.Duration;
import java.util.Optional;

/**
 * One kind of maintenance: when a dataset gets it, how often, and what it does. The scheduler leases it on that
 * schedule; the table's writer runs {@link #prepare} off its actor thread. A task that changes the table returns a
 * prepared rewrite, which the writer commits between group commits under the lease; any other task does its work
 * in {@code prepare} and returns its summary. Register a new task in {@link MaintenanceTasks}.
 */
public interface MaintenanceTask {
    TaskType type();

    /** Whether a dataset with {@code policy} gets this task at all. */
    boolean scheduledBy(MaintenancePolicy policy);

    /** The time from one successful run to the next. */
    Duration interval(MaintenancePolicy policy);

    /** Runs on the blocking executor: the task's work, up to a rewrite left for the writer to commit. */
    Step prepare(TaskContext context, MaintenancePolicy policy);

    /** The report's summary once the writer committed this task's rewrite. */
    default String summary(MaintenanceMetrics committed) {
        return committed.operation() + ": files " + committed.filesBefore() + " -> " + committed.filesAfter()
                + ", rows " + committed.rowsBefore() + " -> " + committed.rowsAfter();
    }

    /** What {@link #prepare} leaves: a rewrite to commit, or the finished task's summary. */
    sealed interface Step {
        /** A rewrite if there is one, else nothing to do. */
        static Step rewrite(Optional<PreparedRewrite> rewrite) {
            return rewrite.<Step>map(Commit::new).orElseGet(() -> new Done("nothing to do"));
        }
    }

    record Commit(PreparedRewrite rewrite) implements Step {}

    record Done(String summary) implements Step {}
}
