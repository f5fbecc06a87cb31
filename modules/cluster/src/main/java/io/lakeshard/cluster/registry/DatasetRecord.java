package io.lakeshard.cluster.registry;

import io.lakeshard.cluster.CborSerializable;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import java.time.Instant;

/**
 * A registered dataset as the registry keeps it.
 *
 * @param incarnation distinguishes a dataset from an earlier, dropped one of the same name: its own table directory
 *     and its own writer
 * @param droppedAt when the dataset was dropped, or null; a dropped dataset is purged after the grace period
 */
public record DatasetRecord(
        String tenant,
        DatasetName name,
        String incarnation,
        DatasetSpec spec,
        MaintenancePolicy policy,
        Instant registeredAt,
        Instant droppedAt) implements CborSerializable {

    public DatasetRecord withSpec(DatasetSpec value) {
        return new DatasetRecord(tenant, name, incarnation, value, policy, registeredAt, droppedAt);
    }

    public DatasetRecord withPolicy(MaintenancePolicy value) {
        return new DatasetRecord(tenant, name, incarnation, spec, value, registeredAt, droppedAt);
    }

    public DatasetRecord droppedAt(Instant time) {
        return new DatasetRecord(tenant, name, incarnation, spec, policy, registeredAt, time);
    }
}
