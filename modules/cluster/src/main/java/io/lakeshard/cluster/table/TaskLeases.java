package io.lakeshard.cluster.table;

import io.lakeshard.cluster.maintenance.TaskType;
import io.lakeshard.cluster.table.TableEntity.RunTask;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The writer's side of leased maintenance: it runs one task at a time, and refuses an expired lease or one older
 * than a lease it has seen for the same task, so a task never runs twice at once, across scheduler fail-overs too.
 */
final class TaskLeases {
    private final Map<TaskType, Long> highest = new HashMap<>();
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

    void finished(RunTask task) {
        if (running == task) {
            running = null;
        }
    }
}
