package io.lakeshard.cluster.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigUtil;
import io.lakeshard.query.cache.RemoteFileCache;
import io.lakeshard.storage.fs.S3Settings;
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

    static StorageRoot open(Config config, Path dataDir) {
        Config storage = config.getConfig("lakeshard.storage");
        URI uri = rootUri(storage.getString("root"));
        if (!"s3a".equals(uri.getScheme())) {
            return StorageRoot.of(uri, hadoopSettings(storage));
        }
        Map<String, String> settings = new HashMap<>(s3Settings(storage.getConfig("s3")).hadoopSettings());
        settings.put("fs.s3a.buffer.dir", dataDir.resolve("s3a-buffer").toString());
        settings.putAll(hadoopSettings(storage));
        StorageRoot root = StorageRoot.of(uri, settings);
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
        if (!storage.getBoolean("s3.accept-single-writer-only")) {
            throw new IllegalStateException("the S3 store behind " + uri + " accepted two conditional writes of one object: "
                    + "it has no put-if-absent, so two writers could both commit a table version. Refusing to start. Use a "
                    + "store with conditional writes, or set lakeshard.storage.s3.accept-single-writer-only = true "
                    + "(LAKESHARD_S3_ACCEPT_SINGLE_WRITER_ONLY) to rely on the single writer per table alone");
        }
        log.warn("storage root {} has no conditional writes; single-writer-only mode accepted by configuration: only "
                + "the single writer per table guards the Delta logs, and a split brain can lose a commit", uri);
        settings.putAll(LogStores.singleWriterOnly());
        return StorageRoot.of(uri, settings);
    }

    /** Where queries read data files from: the storage root itself, or a local cache of its objects. */
    static Optional<RemoteFileCache> fileCache(Config config, StorageRoot storage, Path dataDir) {
        if (storage.isLocal()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new RemoteFileCache(dataDir.resolve("file-cache"),
                    config.getBytes("lakeshard.storage.cache-size"), storage));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the file cache under " + dataDir, e);
        }
    }

    static List<Path> readableDirectories(StorageRoot storage) {
        return storage.isLocal() ? List.of(Path.of(storage.uri())) : List.of();
    }

    private static URI rootUri(String root) {
        if (root.contains("://")) {
            return URI.create(root);
        }
        return Path.of(root).toAbsolutePath().normalize().toUri();
    }

    private static S3Settings s3Settings(Config s3) {
        String endpoint = s3.getString("endpoint");
        return new S3Settings(
                endpoint.isBlank() ? Optional.empty() : Optional.of(URI.create(endpoint)),
                s3.getString("region"),
                s3.getBoolean("path-style-access"),
                S3Settings.Credentials.parse(s3.getString("credentials")),
                optional(s3.getString("access-key")),
                optional(s3.getString("secret-key")));
    }

    private static Optional<String> optional(String value) {
        return value.isBlank() ? Optional.empty() : Optional.of(value);
    }

    /** {@code lakeshard.storage.hadoop}: Hadoop keys, quoted or not, over Lakeshard's own. */
    private static Map<String, String> hadoopSettings(Config storage) {
        Map<String, String> settings = new HashMap<>();
        storage.getConfig("hadoop").entrySet().forEach(entry -> settings.put(
                String.join(".", ConfigUtil.splitPath(entry.getKey())), String.valueOf(entry.getValue().unwrapped())));
        return settings;
    }
}
