package io.lakeshard.cluster.maintenance;

import io.lakeshard.storage.dataset.MaintenancePolicy;
import io.lakeshard.storage.maintenance.Vacuum;
import java.time.Duration;

/** Deletes files no version within the policy's retention references; it commits nothing. */
final class VacuumTask implements MaintenanceTask {
    @Override
    public TaskType type() {
        return TaskType.VACUUM;
    }

    @Override
    public boolean scheduledBy(MaintenancePolicy policy) {
        return true;
    }

    @Override
    public Duration interval(MaintenancePolicy policy) {
        return policy.vacuumEvery();
    }

    @Override
    public Step prepare(TaskContext context, MaintenancePolicy policy) {
        Vacuum.Result result = new Vacuum(context.table(), context.clock()).run(policy.vacuumRetention(), false, false);
        return new Done("deleted " + result.files().size() + " files, " + result.bytes() + " bytes");
    }
}
