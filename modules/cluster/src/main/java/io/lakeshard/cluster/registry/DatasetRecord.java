package io.lakeshard.cluster.registry;

import io.lakeshard.cluster.CborSerializable;
import io.lakeshard.cluster.table.TableRef;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import io.lakeshard.storage.table.ReadOnlyTableException;
import java.time.Instant;

/**
 * A registered dataset as the registry keeps it.
 *
 * @param incarnation distinguishes a dataset from an earlier, dropped one of the same name: its own table directory
 *     and its own writer
 * @param droppedAt when the dataset was dropped, or null; a dropped dataset is purged after the grace period
 * @param location where an adopted table is (a directory another engine wrote it in, under the tenant's import
 *     directory); null for a table Lakeshard created. An adopted table's files are never deleted by a drop
 * @param readOnlyReason why Lakeshard does not write an adopted table, as its protocol was when it was adopted; null
 *     when it does
 */
public record DatasetRecord(
        String tenant,
        DatasetName name,
        String incarnation,
        DatasetSpec spec,
        MaintenancePolicy policy,
        Instant registeredAt,
        Instant droppedAt,
        String location,
        String readOnlyReason) implements CborSerializable {

    /** The table's writer and location. */
    public TableRef ref() {
        return new TableRef(tenant, name, incarnation, location);
    }

    public boolean readOnly() {
        return readOnlyReason != null;
    }

    /**
     * Refuses a change to a dataset adopted read-only, before any work: its writer would refuse the commit too, on the
     * table's protocol as it is then.
     */
    public void requireWritable() {
        if (readOnly()) {
            throw new ReadOnlyTableException(readOnlyReason);
        }
    }

    public DatasetRecord withSpec(DatasetSpec value) {
        return new DatasetRecord(tenant, name, incarnation, value, policy, registeredAt, droppedAt, location, readOnlyReason);
    }

    public DatasetRecord withPolicy(MaintenancePolicy value) {
        return new DatasetRecord(tenant, name, incarnation, spec, value, registeredAt, droppedAt, location, readOnlyReason);
    }

    public DatasetRecord droppedAt(Instant time) {
        return new DatasetRecord(tenant, name, incarnation, spec, policy, registeredAt, time, location, readOnlyReason);
    }
}
