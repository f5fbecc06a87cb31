package io.lakeshard.query.catalog;

import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.snapshot.SnapshotCache;
import java.util.List;
import java.util.Optional;

/**
 * Where a tenant's datasets are. Names resolve only within the tenant: another tenant's dataset of the same name
 * does not exist here.
 */
public interface TableResolver {
    Optional<SnapshotCache> resolve(String tenant, DatasetName name);

    List<DatasetName> list(String tenant);
}
