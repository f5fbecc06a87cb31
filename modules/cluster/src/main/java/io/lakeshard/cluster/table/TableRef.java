package io.lakeshard.cluster.table;

import static java.util.Objects.requireNonNull;

import io.lakeshard.cluster.CborSerializable;
import io.lakeshard.storage.dataset.DatasetId;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.fs.StorageRoot;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * One incarnation of a tenant's dataset: what its single writer is sharded by, and where its table lives.
 *
 * @param location the directory of an adopted table (one another engine wrote, registered where it is), or null for a
 *     table Lakeshard created in its own storage
 */
public record TableRef(String tenant, DatasetName name, String incarnation, String location) implements CborSerializable {
    public TableRef {
        requireNonNull(tenant, "tenant is null");
        requireNonNull(name, "name is null");
        requireNonNull(incarnation, "incarnation is null");
    }

    /** A table Lakeshard created, in its own storage. */
    public TableRef(String tenant, DatasetName name, String incarnation) {
        this(tenant, name, incarnation, null);
    }

    public boolean adopted() {
        return location != null;
    }

    /** The writer's entity id; an adopted table's carries its location, so the writer can open it from the id alone. */
    public String entityId() {
        String id = tenant + "/" + name + "/" + incarnation;
        return adopted() ? id + "/" + URLEncoder.encode(location, StandardCharsets.UTF_8) : id;
    }

    public static TableRef parse(String entityId) {
        String[] parts = entityId.split("/", -1);
        if (parts.length != 3 && parts.length != 4) {
            throw new IllegalArgumentException("not a table entity id: " + entityId);
        }
        return new TableRef(parts[0], DatasetName.parse(parts[1]), parts[2],
                parts.length == 4 ? URLDecoder.decode(parts[3], StandardCharsets.UTF_8) : null);
    }

    public DatasetId datasetId() {
        return new DatasetId(tenant, name);
    }

    public URI location(StorageRoot storage) {
        return adopted() ? URI.create(location) : storage.tableUri(datasetId()).resolve(incarnation + "/");
    }
}
