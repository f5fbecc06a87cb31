package io.lakeshard.cluster.table;

import static java.util.Objects.requireNonNull;

import io.lakeshard.cluster.CborSerializable;
import io.lakeshard.storage.dataset.DatasetId;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.fs.StorageRoot;
import java.net.URI;

/** One incarnation of a tenant's dataset: what its single writer is sharded by, and where its table lives. */
public record TableRef(String tenant, DatasetName name, String incarnation) implements CborSerializable {
    public TableRef {
        requireNonNull(tenant, "tenant is null");
        requireNonNull(name, "name is null");
        requireNonNull(incarnation, "incarnation is null");
    }

    public String entityId() {
        return tenant + "/" + name + "/" + incarnation;
    }

    public static TableRef parse(String entityId) {
        String[] parts = entityId.split("/", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("not a table entity id: " + entityId);
        }
        return new TableRef(parts[0], DatasetName.parse(parts[1]), parts[2]);
    }

    public DatasetId datasetId() {
        return new DatasetId(tenant, name);
    }

    public URI location(StorageRoot storage) {
        return storage.tableUri(datasetId()).resolve(incarnation + "/");
    }
}
