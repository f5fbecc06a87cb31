package io.lakeshard.cluster.maintenance;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.lakeshard.storage.dataset.MaintenancePolicy;

/**
 * The stable name of a kind of maintenance task, as events, reports and operators carry it. Serialised as the bare
 * name (as the enum it replaced was), so journals written before tasks became pluggable still read. What a task does
 * is its {@link MaintenanceTask}, found through {@link MaintenanceTasks}.
 */
public final class TaskType {
    public static final TaskType OPTIMIZE = new TaskType("OPTIMIZE");
    public static final TaskType VACUUM = new TaskType("VACUUM");
    public static final TaskType RETENTION = new TaskType("RETENTION");

    private final String name;

    private TaskType(String name) {
        this.name = requireNonNull(name, "name is null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a task type needs a name");
        }
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static TaskType of(String name) {
        return new TaskType(name);
    }

    @JsonValue
    public String name() {
        return name;
    }

    /** Whether {@code policy} gives a dataset this task; false for a type this node does not know. */
    public boolean scheduledBy(MaintenancePolicy policy) {
        return MaintenanceTasks.find(this).map(task -> task.scheduledBy(policy)).orElse(false);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TaskType type && type.name.equals(name);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return name;
    }
}
