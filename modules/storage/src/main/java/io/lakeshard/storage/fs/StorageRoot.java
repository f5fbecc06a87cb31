package io.lakeshard.storage.fs;

import io.lakeshard.storage.StorageUnavailableException;
import io.lakeshard.storage.dataset.DatasetId;
import io.lakeshard.storage.internal.fs.HadoopStorage;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * Where tables live, and the one seam between Lakeshard and a filesystem: {@code file://} for one machine,
 * {@code s3a://bucket/prefix} for a cluster (see {@link S3Settings}). It also carries the clock that every commit and
 * vacuum under it reads, so a test can fix time for the whole storage layer in one place.
 *
 * <p>Implemented only inside the storage module, over Hadoop's filesystems; no Hadoop type crosses this interface.
 * Store failures surface as {@link StorageUnavailableException}.
 */
public interface StorageRoot {
    /** A root on the local filesystem, on the system clock. */
    static StorageRoot local(Path directory) {
        return local(directory, Clock.systemUTC());
    }

    static StorageRoot local(Path directory, Clock clock) {
        return of(directory.toAbsolutePath().normalize().toUri(), Map.of(), clock);
    }

    /** A root at {@code uri} on the system clock; {@code settings} are Hadoop keys that override the defaults for its scheme. */
    static StorageRoot of(URI uri, Map<String, String> settings) {
        return of(uri, settings, Clock.systemUTC());
    }

    static StorageRoot of(URI uri, Map<String, String> settings, Clock clock) {
        return HadoopStorage.create(uri, settings, clock);
    }

    /** The root, ending in '/'. */
    URI uri();

    /** True when DuckDB can read the data files where they are; false when they must be copied to a local cache. */
    boolean isLocal();

    URI tableUri(DatasetId id);

    Clock clock();

    /** Reads a file of this store; the caller closes the stream. */
    InputStream open(URI file);

    /** Creates a file of this store, failing if it exists; the caller closes the stream, which completes the file. */
    OutputStream create(URI file);

    /** Every file below {@code directory}, at any depth, in no particular order; empty if it does not exist. */
    List<StoredFile> listFiles(URI directory);

    /** Deletes a directory and everything below it; false if there was nothing to delete. */
    boolean deleteRecursively(URI directory);
}
