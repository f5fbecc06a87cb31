package io.lakeshard.cluster.node;

import io.lakeshard.query.cache.RemoteFileCache;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.table.LogStores;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's shared storage from {@code lakeshard.storage}: a local directory, or an S3 bucket whose commits must be
 * put-if-absent. A store that cannot refuse a second commit of a version is refused unless the operator accepted
 * single-writer-only commits.
 */
final class NodeStorage {
    private static final Logger log = LoggerFactory.getLogger(NodeStorage.class);

    private NodeStorage() {}

    static StorageRoot open(StorageSettings settings, Path dataDir) {
        URI uri = settings.root();
        if (settings.s3().isEmpty()) {
            return StorageRoot.of(uri, settings.hadoop());
        }
        Map<String, String> hadoop = new HashMap<>(settings.s3().get().hadoopSettings());
        hadoop.put("fs.s3a.buffer.dir", dataDir.resolve("s3a-buffer").toString());
        hadoop.putAll(settings.hadoop());
        StorageRoot root = StorageRoot.of(uri, hadoop);
        boolean safe;
        try {
            safe = LogStores.commitsArePutIfAbsent(root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach the storage root " + uri, e);
        }
        if (safe) {
            log.info("storage root {}: commits are conditional writes (If-None-Match)", uri);
            return root;
        }
        if (!settings.acceptSingleWriterOnly()) {
            throw new IllegalStateException("the S3 store behind " + uri + " accepted two conditional writes of one object: "
                    + "it has no put-if-absent, so two writers could both commit a table version. Refusing to start. Use a "
                    + "store with conditional writes, or set lakeshard.storage.s3.accept-single-writer-only = true "
                    + "(LAKESHARD_S3_ACCEPT_SINGLE_WRITER_ONLY) to rely on the single writer per table alone");
        }
        log.warn("storage root {} has no conditional writes; single-writer-only mode accepted by configuration: only "
                + "the single writer per table guards the Delta logs, and a split brain can lose a commit", uri);
        hadoop.putAll(LogStores.singleWriterOnly());
        return StorageRoot.of(uri, hadoop);
    }

    /** Where queries read data files from: the storage root itself, or a local cache of its objects. */
    static Optional<RemoteFileCache> fileCache(StorageSettings settings, StorageRoot storage, Path dataDir) {
        if (storage.isLocal()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new RemoteFileCache(dataDir.resolve("file-cache"), settings.cacheSizeBytes(), storage));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the file cache under " + dataDir, e);
        }
    }

    /**
     * The store a source URI is on: the local filesystem, or S3 with the storage's S3 settings. One root per bucket:
     * S3A's connection pool and threads are per filesystem.
     */
    static Function<URI, StorageRoot> sources(StorageSettings settings, Path dataDir) {
        Map<String, String> hadoop = new HashMap<>();
        settings.s3().ifPresent(s3 -> hadoop.putAll(s3.hadoopSettings()));
        hadoop.put("fs.s3a.buffer.dir", dataDir.resolve("s3a-buffer").toString());
        hadoop.putAll(settings.hadoop());
        Map<String, StorageRoot> roots = new ConcurrentHashMap<>();
        return uri -> roots.computeIfAbsent(uri.getScheme() + "://" + (uri.getAuthority() == null ? "" : uri.getAuthority()) + "/",
                base -> StorageRoot.of(URI.create(base), "file".equals(uri.getScheme()) ? Map.of() : hadoop));
    }

    static List<Path> readableDirectories(StorageRoot storage) {
        return storage.isLocal() ? List.of(Path.of(storage.uri())) : List.of();
    }
}
