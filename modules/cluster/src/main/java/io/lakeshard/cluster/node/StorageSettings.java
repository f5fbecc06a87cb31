package io.lakeshard.cluster.node;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigUtil;
import io.lakeshard.storage.fs.S3Settings;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The node's shared storage, read once from {@code lakeshard.storage}.
 *
 * @param root a directory (one machine) or {@code s3a://bucket/prefix} (a cluster)
 * @param s3 the bucket's endpoint, region and credentials; empty for a directory
 * @param acceptSingleWriterOnly start on a store without conditional writes, relying on the single writer per table
 * @param hadoop further Hadoop settings, over Lakeshard's own
 * @param cacheSizeBytes the budget of the local copies of S3 data files that queries read
 */
public record StorageSettings(URI root, Optional<S3Settings> s3, boolean acceptSingleWriterOnly, Map<String, String> hadoop,
        long cacheSizeBytes) {

    public StorageSettings {
        requireNonNull(root, "root is null");
        requireNonNull(s3, "s3 is null");
        hadoop = Map.copyOf(requireNonNull(hadoop, "hadoop is null"));
        if (cacheSizeBytes <= 0) {
            throw new IllegalArgumentException("lakeshard.storage.cache-size: expected a positive size, got " + cacheSizeBytes);
        }
    }

    public static StorageSettings from(Config config) {
        Config storage = config.getConfig("lakeshard.storage");
        URI root = rootUri(storage.getString("root"));
        Config s3 = storage.getConfig("s3");
        return new StorageSettings(root, "s3a".equals(root.getScheme()) ? Optional.of(s3Settings(s3)) : Optional.empty(),
                s3.getBoolean("accept-single-writer-only"), hadoopSettings(storage), storage.getBytes("cache-size"));
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

    /** {@code lakeshard.storage.hadoop}: Hadoop keys, quoted or not. */
    private static Map<String, String> hadoopSettings(Config storage) {
        Map<String, String> settings = new HashMap<>();
        storage.getConfig("hadoop").entrySet().forEach(entry -> settings.put(
                String.join(".", ConfigUtil.splitPath(entry.getKey())), String.valueOf(entry.getValue().unwrapped())));
        return settings;
    }
}
