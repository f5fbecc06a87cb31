package io.lakeshard.cluster.maintenance;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.maintenance.Maintenance;
import io.lakeshard.storage.table.DeltaTable;
import java.time.Clock;

/** What a maintenance task works on: the writer's table, its maintenance operations, and the node's clock. */
public record TaskContext(DeltaTable table, Maintenance maintenance, Clock clock) {
    public TaskContext {
        requireNonNull(table, "table is null");
        requireNonNull(maintenance, "maintenance is null");
        requireNonNull(clock, "clock is null");
    }
}
