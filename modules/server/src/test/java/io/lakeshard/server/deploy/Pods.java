package io.lakeshard.server.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The dev overlay's pods as local processes: the packaged distribution's container entrypoint, run with the rendered
 * ConfigMap, Secrets and container environment. Only what Kubernetes itself provides is supplied here: the pod IP,
 * the Services' addresses (PostgreSQL, the S3 store), the API server, the service-account files and the mounted
 * Secrets' files.
 */
final class Pods {
    static final String API_KEY = "dev_lakeshard_cluster_key";

    private final Path dir;
    private final Path entrypoint;
    private final Map<String, String> config;
    private final Map<String, String> credentials;
    private final Map<String, String> containerEnv;
    private final Path apiKeysFile;
    private final String namespace;
    private final String podLabels;

    private Pods(Path dir, Path entrypoint, Map<String, String> config, Map<String, String> credentials,
            Map<String, String> containerEnv, Path apiKeysFile, String namespace, String podLabels) {
        this.dir = dir;
        this.entrypoint = entrypoint;
        this.config = config;
        this.credentials = credentials;
        this.containerEnv = containerEnv;
        this.apiKeysFile = apiKeysFile;
        this.namespace = namespace;
        this.podLabels = podLabels;
    }

    /** Renders the dev overlay; pods' volumes and logs go under {@code dir}. */
    static Pods devOverlay(Path dir) throws Exception {
        Path dist = Path.of(System.getProperty("lakeshard.dist"));
        Path entrypoint = dist.resolve(containerEntrypoint());
        assertTrue(Files.isExecutable(entrypoint), entrypoint + " is the container's entrypoint");

        Manifests dev = Manifests.render("overlays/dev");
        Map<String, String> config = Manifests.configMapData(dev.one("ConfigMap", "lakeshard-config"));
        Map<String, String> credentials = Manifests.secretData(dev.one("Secret", "lakeshard-credentials"));
        String apiKeys = Manifests.secretData(dev.one("Secret", "lakeshard-api-keys")).get("api-keys.conf");
        Map<String, String> containerEnv = new HashMap<>();
        dev.serverContainer().path("env").forEach(e -> {
            if (e.has("value")) {
                containerEnv.put(e.path("name").asText(), e.path("value").asText());
            }
        });
        Path apiKeysFile = Files.writeString(dir.resolve("api-keys.conf"), apiKeys);
        // The pods' remoting key, mounted from its Secret; the password comes from the same Secret.
        JsonNode remoting = dev.one("Secret", "lakeshard-remoting-tls");
        Path remotingKeystore = Files.write(dir.resolve("remoting-keystore.p12"), Manifests.secretBytes(remoting, "keystore.p12"));
        assertEquals("/etc/lakeshard/remoting/keystore.p12", containerEnv.get("LAKESHARD_REMOTE_TLS_KEYSTORE"));
        containerEnv.put("LAKESHARD_REMOTE_TLS_KEYSTORE", remotingKeystore.toString());
        containerEnv.put("LAKESHARD_REMOTE_TLS_PASSWORD", Manifests.secretData(remoting).get("password"));

        String namespace = dev.one("Deployment", "lakeshard").path("metadata").path("namespace").asText();
        String podLabels = "app=" + dev.one("Deployment", "lakeshard").path("spec").path("template").path("metadata")
                .path("labels").path("app").asText();
        return new Pods(dir, entrypoint, config, credentials, containerEnv, apiKeysFile, namespace, podLabels);
    }

    /** Copies the pods' logs to {@code target/failsafe-reports/<test>-logs/}, which CI keeps, as the temporary directory is not. */
    void keepLogs(List<String> hosts, Class<?> test) throws IOException {
        Path kept = Files.createDirectories(Path.of("target", "failsafe-reports", test.getSimpleName() + "-logs"));
        for (String host : hosts) {
            if (Files.exists(log(host))) {
                Files.copy(log(host), kept.resolve(host + ".log"), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** The S3 bucket of the storage root. */
    String bucket() {
        return URI.create(config.get("LAKESHARD_STORAGE_ROOT")).getHost();
    }

    String s3AccessKey() {
        return credentials.get("LAKESHARD_S3_ACCESS_KEY");
    }

    String s3SecretKey() {
        return credentials.get("LAKESHARD_S3_SECRET_KEY");
    }

    String namespace() {
        return namespace;
    }

    String podLabels() {
        return podLabels;
    }

    String appVersion() {
        return containerEnv.get("LAKESHARD_APP_VERSION");
    }

    /** The pod's log, appended to by every start of that host. */
    Path log(String host) {
        return dir.resolve(host + ".log");
    }

    /** Starts a pod at {@code host}; a restarted pod keeps its data volume, as a pod's restart does. */
    Process start(String host, String appVersion, String journalUrl, String s3Endpoint, KubernetesApi kubernetes) throws IOException {
        Map<String, String> env = new HashMap<>(config);
        env.putAll(credentials);
        env.putAll(containerEnv);
        env.put("LAKESHARD_HOST", host);
        env.put("LAKESHARD_GRPC_HOST", host);
        env.put("LAKESHARD_JOURNAL_URL", journalUrl);
        env.put("LAKESHARD_S3_ENDPOINT", s3Endpoint);
        env.putAll(kubernetes.environment());
        env.put("LAKESHARD_APP_VERSION", appVersion);
        // The pod's volumes: data, the executable temp directory, the mounted API-key secret.
        Path data = Files.createDirectories(dir.resolve(host));
        Path tmp = Files.createDirectories(dir.resolve(host + "-tmp"));
        env.put("LAKESHARD_DATA_DIR", data.toString());
        env.put("JAVA_OPTS", containerEnv.get("JAVA_OPTS")
                .replace("/var/lib/lakeshard-tmp", tmp.toString())
                .replace("/etc/lakeshard/api-keys/api-keys.conf", apiKeysFile.toString())
                .replace("-XX:MaxRAMPercentage=40", "-Xmx768m") + " " + kubernetes.serviceAccountOptions());
        ProcessBuilder builder = new ProcessBuilder(entrypoint.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log(host).toFile()));
        builder.environment().putAll(env);
        return builder.start();
    }

    /** The path under the distribution that the Dockerfile's ENTRYPOINT runs. */
    private static String containerEntrypoint() throws IOException {
        String dockerfile = Files.readString(Manifests.repository().resolve("deploy/docker/Dockerfile"));
        Matcher copy = Pattern.compile("(?m)^COPY --from=build /src/modules/server/target/dist/ (\\S+)/$").matcher(dockerfile);
        Matcher entrypoint = Pattern.compile("(?m)^ENTRYPOINT \\[\"([^\"]+)\"]").matcher(dockerfile);
        assertTrue(copy.find() && entrypoint.find(), "the Dockerfile copies the distribution and names an entrypoint in it");
        assertTrue(entrypoint.group(1).startsWith(copy.group(1) + "/"), entrypoint.group(1));
        return entrypoint.group(1).substring(copy.group(1).length() + 1);
    }
}
