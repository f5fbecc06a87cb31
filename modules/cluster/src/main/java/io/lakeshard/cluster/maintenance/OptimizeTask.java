package io.lakeshard.cluster.maintenance;

import io.lakeshard.storage.dataset.MaintenancePolicy;
import java.time.Duration;

/** Packs small files into target-size files, in the dataset's sort order. */
final class OptimizeTask implements MaintenanceTask {
    @Override
    public TaskType type() {
        return TaskType.OPTIMIZE;
    }

    @Override
    public boolean scheduledBy(MaintenancePolicy policy) {
        return true;
    }

    @Override
    public Duration interval(MaintenancePolicy policy) {
        return policy.optimizeEvery();
    }

    @Override
    public Step prepare(TaskContext context, MaintenancePolicy policy) {
        return Step.rewrite(context.maintenance().prepareOptimize());
    }
}
