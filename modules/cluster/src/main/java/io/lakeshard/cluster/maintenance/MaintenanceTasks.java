package io.lakeshard.cluster.maintenance;

import java.util.List;
import java.util.Optional;

/** Every kind of maintenance task a node knows: the one place a new kind is registered. */
public final class MaintenanceTasks {
    private static final List<MaintenanceTask> ALL = List.of(new OptimizeTask(), new VacuumTask(), new RetentionTask());

    private MaintenanceTasks() {}

    /** In the order operators see them listed. */
    public static List<MaintenanceTask> all() {
        return ALL;
    }

    /** Empty for a type this node does not know (a newer node's, during a rolling update). */
    public static Optional<MaintenanceTask> find(TaskType type) {
        return ALL.stream().filter(task -> task.type().equals(type)).findFirst();
    }

    /** The listing order of a type; unknown types last. */
    static int order(TaskType type) {
        for (int i = 0; i < ALL.size(); i++) {
            if (ALL.get(i).type().equals(type)) {
                return i;
            }
        }
        return ALL.size();
    }
}
