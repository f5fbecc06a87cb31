package io.lakeshard.storage.fs;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * How to reach an S3-compatible store, as the Hadoop S3A keys that {@link StorageRoot#of} takes. AWS S3 needs only a
 * region; MinIO, Garage and test servers need an endpoint and path-style access.
 *
 * @param endpoint empty for AWS's own endpoint of {@code region}; {@code http://} turns TLS off
 * @param region the signing region; stores that ignore it still need one
 * @param credentials where the access key comes from
 * @param accessKey for {@link Credentials#STATIC} only
 * @param secretKey for {@link Credentials#STATIC} only
 */
public record S3Settings(
        Optional<URI> endpoint,
        String region,
        boolean pathStyleAccess,
        Credentials credentials,
        Optional<String> accessKey,
        Optional<String> secretKey) {

    public enum Credentials {
        /** The SDK's default chain: environment, system properties, profile, web identity (EKS), container, instance. */
        DEFAULT("software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider"),
        /** AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. */
        ENVIRONMENT("software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider"),
        /** A key pair from configuration (a Kubernetes secret). */
        STATIC("org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");

        private final String provider;

        Credentials(String provider) {
            this.provider = provider;
        }

        public static Credentials parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown S3 credentials source '" + name + "'; expected default, environment or static", e);
            }
        }
    }

    public S3Settings {
        requireNonNull(endpoint, "endpoint is null");
        requireNonNull(region, "region is null");
        requireNonNull(credentials, "credentials is null");
        requireNonNull(accessKey, "accessKey is null");
        requireNonNull(secretKey, "secretKey is null");
        if (region.isBlank()) {
            throw new IllegalArgumentException("an S3 region is required (any name for stores that ignore it)");
        }
        if (credentials == Credentials.STATIC && (accessKey.isEmpty() || secretKey.isEmpty())) {
            throw new IllegalArgumentException("static S3 credentials need an access key and a secret key");
        }
        endpoint.ifPresent(uri -> {
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new IllegalArgumentException("S3 endpoint " + uri + " must start with http:// or https://");
            }
        });
    }

    /** The S3A keys these settings stand for. */
    public Map<String, String> hadoopSettings() {
        Map<String, String> conf = new LinkedHashMap<>();
        endpoint.ifPresent(uri -> {
            conf.put("fs.s3a.endpoint", uri.toString());
            conf.put("fs.s3a.connection.ssl.enabled", Boolean.toString("https".equals(uri.getScheme())));
        });
        conf.put("fs.s3a.endpoint.region", region);
        conf.put("fs.s3a.path.style.access", Boolean.toString(pathStyleAccess));
        conf.put("fs.s3a.aws.credentials.provider", credentials.provider);
        accessKey.ifPresent(key -> conf.put("fs.s3a.access.key", key));
        secretKey.ifPresent(key -> conf.put("fs.s3a.secret.key", key));
        return conf;
    }

    /**
     * What every s3a root starts from. The configuration is built without Hadoop's XML defaults, so the keys S3A
     * would otherwise find there are set here.
     */
    public static Map<String, String> defaults() {
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("fs.s3a.impl", "org.apache.hadoop.fs.s3a.S3AFileSystem");
        conf.put("fs.s3a.buffer.dir", System.getProperty("java.io.tmpdir") + "/lakeshard-s3a");
        // The bucket exists or the node fails at its first write; a probe per filesystem instance buys nothing.
        conf.put("fs.s3a.bucket.probe", "0");
        return conf;
    }
}
