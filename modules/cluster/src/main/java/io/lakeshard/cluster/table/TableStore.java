package io.lakeshard.cluster.table;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.TableSettings;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/** A node's access to tables on shared storage, and the executor all blocking table I/O runs on. */
public final class TableStore {
    private final StorageRoot storage;
    private final TableSettings settings;
    private final Executor blocking;
    private final Map<TableRef, DeltaTable> open = new ConcurrentHashMap<>();

    public TableStore(StorageRoot storage, TableSettings settings, Executor blocking) {
        this.storage = requireNonNull(storage, "storage is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.blocking = requireNonNull(blocking, "blocking is null");
    }

    /** Creates the table, or finds the identical one a retried registration already created. */
    public CompletableFuture<DeltaTable> create(TableRef ref, DatasetDefinition definition) {
        return CompletableFuture.supplyAsync(() -> {
            DeltaTable table = DeltaTable.create(storage, ref.location(storage), definition, settings);
            open.put(ref, table);
            return table;
        }, blocking);
    }

    /** Deletes a dropped table's directory and everything in it. */
    public CompletableFuture<Boolean> purge(TableRef ref) {
        return CompletableFuture.supplyAsync(() -> {
            open.remove(ref);
            return storage.deleteRecursively(ref.location(storage));
        }, blocking);
    }

    public DeltaTable table(TableRef ref) {
        return open.computeIfAbsent(ref, r -> DeltaTable.at(storage, r.location(storage)));
    }

    public StorageRoot storage() {
        return storage;
    }

    public Executor blocking() {
        return blocking;
    }
}
