package io.lakeshard.query;

import io.lakeshard.query.catalog.TableResolver;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetId;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.snapshot.SnapshotCache;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.TableSettings;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Tables of several tenants under one storage root, resolvable by tenant: what the registry will provide. */
final class Datasets implements TableResolver {
    final StorageRoot storage;
    private final Map<DatasetId, SnapshotCache> caches = new ConcurrentHashMap<>();

    Datasets(Path root) {
        this.storage = StorageRoot.local(root);
    }

    DeltaTable create(String tenant, String name, DatasetDefinition definition) {
        DatasetId id = new DatasetId(tenant, DatasetName.parse(name));
        DeltaTable table = DeltaTable.create(storage, storage.tableUri(id), definition, TableSettings.defaults());
        caches.put(id, new SnapshotCache(table));
        return table;
    }

    @Override
    public Optional<SnapshotCache> resolve(String tenant, DatasetName name) {
        return Optional.ofNullable(caches.get(new DatasetId(tenant, name)));
    }

    @Override
    public List<DatasetName> list(String tenant) {
        return caches.keySet().stream().filter(id -> id.tenant().equals(tenant)).map(DatasetId::name).sorted(
                Comparator.comparing(DatasetName::toString)).toList();
    }
}
