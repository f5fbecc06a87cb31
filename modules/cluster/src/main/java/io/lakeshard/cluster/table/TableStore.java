package io.lakeshard.cluster.table;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.TableMissingException;
import io.lakeshard.storage.table.TableSettings;
import io.lakeshard.storage.table.TableSnapshot;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Function;

/** A node's access to tables on shared storage, and the executor all blocking table I/O runs on. */
public final class TableStore {
    private final StorageRoot storage;
    private final Function<URI, StorageRoot> locations;
    private final TableSettings settings;
    private final Executor blocking;
    private final Map<TableRef, DeltaTable> open = new ConcurrentHashMap<>();

    /** @param locations the store an adopted table's location is on: the local filesystem, or S3 with the node's settings */
    public TableStore(StorageRoot storage, Function<URI, StorageRoot> locations, TableSettings settings, Executor blocking) {
        this.storage = requireNonNull(storage, "storage is null");
        this.locations = requireNonNull(locations, "locations is null");
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

    /** Opens the Delta table at an adopted dataset's location: its latest version's schema, properties and protocol. */
    public CompletableFuture<TableSnapshot> adopt(TableRef ref) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return table(ref).latestMetadata();
            } catch (TableMissingException e) {
                open.remove(ref);
                throw new InvalidInputException("location", "no Delta table at " + ref.location());
            }
        }, blocking);
    }

    /**
     * Deletes a dropped table's directory and everything in it. An adopted table is only forgotten: its files are the
     * user's, and stay where they are.
     */
    public CompletableFuture<Boolean> purge(TableRef ref) {
        return CompletableFuture.supplyAsync(() -> {
            open.remove(ref);
            return !ref.adopted() && storage.deleteRecursively(ref.location(storage));
        }, blocking);
    }

    public DeltaTable table(TableRef ref) {
        return open.computeIfAbsent(ref, r -> DeltaTable.at(storageOf(r), r.location(storage)));
    }

    /** The store a table is on: the node's storage, or for an adopted table the store of its location. */
    private StorageRoot storageOf(TableRef ref) {
        return ref.adopted() ? locations.apply(URI.create(ref.location())) : storage;
    }

    public StorageRoot storage() {
        return storage;
    }

    public Executor blocking() {
        return blocking;
    }
}
