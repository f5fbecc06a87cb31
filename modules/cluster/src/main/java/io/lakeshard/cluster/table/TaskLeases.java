package io.lakeshard.cluster.table;

import io.lakeshard.cluster.maintenance.TaskReport;
import io.lakeshard.cluster.maintenance.TaskType;
import io.lakeshard.cluster.table.TableEntity.RunTask;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The writer's side of leased maintenance: it runs one task at a time, and refuses an expired lease or one older
 * than a lease it has seen for the same task, so a task never runs twice at once, across scheduler fail-overs too.
 * It keeps each task's last report for a scheduler that took over before the report reached its predecessor.
 */
final class TaskLeases {
    private final Map<TaskType, Long> highest = new HashMap<>();
    private final Map<TaskType, TaskReport> lastReports = new HashMap<>();
    private RunTask running;

    /** Starts {@code task} unless it must be refused; the refusal's reason otherwise. */
    Optional<String> start(RunTask task, Instant now) {
        long sequence = task.lease().sequence();
        Long seen = highest.get(task.type());
        if (task.lease().expired(now)) {
            return Optional.of("lease " + sequence + " expired");
        }
        if (seen != null && sequence < seen) {
            return Optional.of("lease " + sequence + " is stale; lease " + seen + " was granted since");
        }
        if (running != null) {
            return Optional.of("busy with " + running.type());
        }
        highest.put(task.type(), sequence);
        running = task;
        return Optional.empty();
    }

    void finished(RunTask task, TaskReport report) {
        if (running == task) {
            running = null;
        }
        lastReports.put(task.type(), report);
    }

    /**
     * The report of lease {@code sequence}; empty while it runs. A lease this writer has no record of was lost (or
     * the writer restarted since): it is fenced, so a copy still on its way cannot run after the scheduler moved on.
     */
    Optional<TaskReport> report(TableRef table, TaskType type, long sequence) {
        TaskReport last = lastReports.get(type);
        if (last != null && last.leaseSequence() == sequence) {
            return Optional.of(last);
        }
        if (running != null && running.type().equals(type) && running.lease().sequence() == sequence) {
            return Optional.empty();
        }
        highest.merge(type, sequence + 1, Math::max);
        return Optional.of(new TaskReport.Refused(table, type, sequence,
                "the writer has no record of lease " + sequence + " (it never arrived, or the writer restarted); leased again"));
    }
}
