package io.lakeshard.query.catalog;

import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.snapshot.SnapshotCache;
import io.lakeshard.storage.table.TableSnapshot;
import java.util.List;
import java.util.Optional;

/**
 * Where a tenant's datasets are. Names resolve only within the tenant: another tenant's dataset of the same name
 * does not exist here.
 */
public interface TableResolver {
    Optional<SnapshotCache> resolve(String tenant, DatasetName name);

    List<DatasetName> list(String tenant);

    /**
     * A snapshot holding every write acknowledged so far, or empty if the table does not exist. Without a writer to
     * ask, that is the latest version in the log, which holds a write before it is acknowledged.
     */
    default Optional<TableSnapshot> readYourWrites(String tenant, DatasetName name) {
        return resolve(tenant, name).map(SnapshotCache::refresh);
    }
}
