package io.lakeshard.cluster.maintenance;

import io.lakeshard.storage.dataset.MaintenancePolicy;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;

/** Drops the days older than the policy keeps, whole partitions at a time; only for policies that keep limited days. */
final class RetentionTask implements MaintenanceTask {
    @Override
    public TaskType type() {
        return TaskType.RETENTION;
    }

    @Override
    public boolean scheduledBy(MaintenancePolicy policy) {
        return policy.retentionDays() > 0;
    }

    @Override
    public Duration interval(MaintenancePolicy policy) {
        return Duration.ofDays(1);
    }

    @Override
    public Step prepare(TaskContext context, MaintenancePolicy policy) {
        // Partitions are UTC days, whatever the clock's zone.
        LocalDate today = LocalDate.ofInstant(context.clock().instant(), ZoneOffset.UTC);
        return Step.rewrite(context.maintenance().prepareExpire(today.minusDays(policy.retentionDays())));
    }
}
