package io.lakeshard.server.deploy;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.cluster.PostgresServer;
import io.lakeshard.cluster.TestCluster;
import io.lakeshard.storage.S3TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the pods run, without Kubernetes: three server processes started with the container's entrypoint from the
 * packaged distribution, configured by the dev overlay's rendered ConfigMap and Secrets, on a PostgreSQL journal and
 * an S3 bucket, forming one cluster through akka-management's cluster bootstrap with Kubernetes API discovery, as
 * configured, against {@link KubernetesApi} listing the running processes as pods. Each process has its own loopback
 * address and the pods' ports. Only what Kubernetes provides is supplied by the test: the pod IP, the Services'
 * addresses (PostgreSQL, the S3 store), the API server and the service-account files. The README's scenario runs
 * through the CLI; then one process is killed and the scenario passes on the other two. Last, a rolling update: a process of the next app version joins, an old one
 * gets SIGTERM, and the tables it wrote get writers again on the running ones.
 */
class ClusterDeploymentIT {
    private static final String API_KEY = "dev_lakeshard_cluster_key";
    private static final List<String> HOSTS = List.of("127.0.10.1", "127.0.10.2", "127.0.10.3");
    private static final Duration FORMATION = Duration.ofMinutes(3);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void threeNodesFromTheManifestsServeTheReadmeScenarioAndSurviveLosingOne(@TempDir Path dir) throws Exception {
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

        String bucket = URI.create(config.get("LAKESHARD_STORAGE_ROOT")).getHost();
        String namespace = dev.one("Deployment", "lakeshard").path("metadata").path("namespace").asText();
        String podLabels = "app=" + dev.one("Deployment", "lakeshard").path("spec").path("template").path("metadata")
                .path("labels").path("app").asText();
        try (PostgresServer postgres = PostgresServer.start();
                S3TestServer s3 = S3TestServer.start(dir.resolve("s3"), credentials.get("LAKESHARD_S3_ACCESS_KEY"),
                        credentials.get("LAKESHARD_S3_SECRET_KEY"));
                KubernetesApi kubernetes = KubernetesApi.start(dir.resolve("kubernetes"), namespace, podLabels)) {
            s3.createBucket(bucket);
            List<Process> nodes = new ArrayList<>();
            try {
                Node node = new Node(dir, entrypoint, config, credentials, containerEnv, apiKeysFile, postgres.url(),
                        s3.endpoint().toString(), kubernetes);
                kubernetes.pods(HOSTS);
                for (String host : HOSTS) {
                    nodes.add(node.start(host, containerEnv.get("LAKESHARD_APP_VERSION")));
                }
                for (String host : HOSTS) {
                    awaitMembers(host, 3, nodes, dir);
                    TestCluster.await(FORMATION, () -> status(host, "/ready") == 200, host + " to be ready");
                }

                readmeScenario("observability.traces.spans", HOSTS.get(0), HOSTS.get(1));
                assertTrue(cli(HOSTS.get(2), "query", "SELECT count(*) AS n FROM observability.traces.spans").contains("| 194 |"),
                        "any node answers, with the rows the scenario left");

                assertTrue(kubernetes.podListings() > 0, "the nodes found each other through the Kubernetes API");

                // The first node formed the cluster: it is the oldest, running the shard coordinator and the scheduler.
                nodes.get(0).destroyForcibly();
                assertTrue(nodes.get(0).waitFor(30, TimeUnit.SECONDS));
                kubernetes.pods(HOSTS.subList(1, 3));
                awaitMembers(HOSTS.get(1), 2, nodes.subList(1, 3), dir);

                readmeScenario("observability.traces.spans_after_loss", HOSTS.get(1), HOSTS.get(2));
                assertTrue(cli(HOSTS.get(2), "query", "SELECT count(*) AS n FROM observability.traces.spans").contains("| 194 |"),
                        "the data written before the loss is all there");

                // A rolling update: a pod of the next version joins, then an old pod gets SIGTERM, as Kubernetes does.
                // The pod stopped is not the oldest member, so the shard coordinator stays put and where the pod's
                // tables go is its choice alone (while a coordinator itself moves, regions re-register in any order).
                String oldest = oldestMember(HOSTS.get(1));
                int old = HOSTS.get(1).equals(oldest) ? 2 : 1;
                // The pod must write a table: each new dataset's writer goes to the member with the fewest.
                for (int extra = 0; tableShards(HOSTS.get(old)).isEmpty(); extra++) {
                    assertTrue(extra < 4, "no table writer lands on " + HOSTS.get(old));
                    String dataset = "observability.traces.rolling_" + extra;
                    cli(HOSTS.get(old), "register", dataset, "--schema", "examples/spans.schema.json", "--event-time", "start_time");
                    cli(HOSTS.get(old), "write", dataset, "--file", "examples/spans.csv");
                }
                Set<String> moving = tableShards(HOSTS.get(old));
                String next = "127.0.10.4";
                kubernetes.pods(List.of(HOSTS.get(1), HOSTS.get(2), next));
                nodes.add(node.start(next, "0.2.0"));
                awaitMembers(next, 3, nodes.subList(1, 4), dir);
                nodes.get(old).destroy();
                assertTrue(nodes.get(old).waitFor(60, TimeUnit.SECONDS), "coordinated shutdown ends within the grace period");
                String remaining = HOSTS.get(3 - old);
                kubernetes.pods(List.of(remaining, next));
                awaitMembers(next, 2, List.of(nodes.get(3 - old), nodes.get(3)), dir);
                for (String dataset : datasetsOf(remaining)) {
                    cli(remaining, "write", dataset, "--file", "examples/spans.csv");
                }
                // Handed over: the stopped pod's tables have writers again on the running pods. Akka prefers the newest
                // app version when it places them; in about one run in six here one landed on the old pod left (see
                // docs/operations.md), so where they land is reported, not asserted.
                Set<String> running = new HashSet<>(tableShards(next));
                running.addAll(tableShards(remaining));
                assertTrue(running.containsAll(moving), "the stopped pod's tables have writers again: " + moving + " vs " + running);
                System.out.println("tables handed over from " + HOSTS.get(old) + ": " + moving + "; on the new version's pod: "
                        + tableShards(next) + ", on the old pod left: " + tableShards(remaining));
                assertTrue(cli(next, "query", "SELECT count(*) AS n FROM observability.traces.spans").contains("| 394 |"));
            } finally {
                for (Process node : nodes) {
                    node.destroy();
                }
                for (Process node : nodes) {
                    if (!node.waitFor(30, TimeUnit.SECONDS)) {
                        node.destroyForcibly();
                    }
                }
            }
        }
    }

    /** The host of the oldest member, as {@code host} sees the cluster: it runs the singletons. */
    private String oldestMember(String host) {
        String oldest = clusterMembers(host).path("oldest").asText();
        return oldest.substring(oldest.indexOf('@') + 1, oldest.lastIndexOf(':'));
    }

    /** The datasets of the test's tenant, from the CLI's list. */
    private static List<String> datasetsOf(String host) throws Exception {
        List<String> datasets = new ArrayList<>();
        Matcher name = Pattern.compile("observability\\.traces\\.[a-z_0-9]+").matcher(cli(host, "list"));
        while (name.find()) {
            if (!datasets.contains(name.group())) {
                datasets.add(name.group());
            }
        }
        return datasets;
    }

    /** Shards of table writers that host at least one writer on {@code host}. */
    private Set<String> tableShards(String host) {
        Set<String> shards = new HashSet<>();
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://" + host + ":8558/cluster/shards/Table"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            for (JsonNode region : json.readTree(response.body()).path("regions")) {
                if (region.path("numEntities").asInt() > 0) {
                    shards.add(region.path("shardId").asText());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return shards;
    }

    /** Starts server processes as the pods run them: the entrypoint, the manifests' environment, its own address. */
    private record Node(Path dir, Path entrypoint, Map<String, String> config, Map<String, String> credentials,
            Map<String, String> containerEnv, Path apiKeysFile, String journalUrl, String s3Endpoint, KubernetesApi kubernetes) {

        Process start(String host, String appVersion) throws IOException {
            Map<String, String> env = new HashMap<>(config);
            env.putAll(credentials);
            env.putAll(containerEnv);
            // What Kubernetes provides: the pod IP, the Services' addresses, the API server and its service account.
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
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(host + ".log").toFile()));
            builder.environment().putAll(env);
            return builder.start();
        }
    }

    /** The README's quickstart, with the writes sent to one node and the query to another. */
    private void readmeScenario(String dataset, String writeNode, String queryNode) throws Exception {
        cli(writeNode, "register", dataset, "--schema", "examples/spans.schema.json", "--partition", "service_name",
                "--event-time", "start_time");
        cli(writeNode, "write", dataset, "--file", "examples/spans.csv");
        String table = cli(queryNode, "query", "SELECT service_name, count(*) AS spans, max(duration_ms) AS slowest FROM "
                + dataset + " GROUP BY 1 ORDER BY 1");
        assertTrue(table.contains("""
                +--------------+-------+---------+
                | service_name | spans | slowest |
                +--------------+-------+---------+
                | cart         | 50    | 1200    |
                | checkout     | 50    | 1194    |
                | payments     | 50    | 1170    |
                | search       | 50    | 1182    |
                +--------------+-------+---------+
                4 rows"""), table);
        assertTrue(cli(queryNode, "describe", dataset).contains(dataset));
        String deleted = cli(writeNode, "delete", dataset, "--where", "status_code = 2");
        assertTrue(deleted.contains("deleted 6 rows (table version 2)"), deleted);
    }

    /** Runs {@code bin/lakeshard} from the repository root, as the README does. */
    private static String cli(String host, String... args) throws Exception {
        Path repository = Manifests.repository();
        List<String> command = new ArrayList<>(List.of(repository.resolve("bin/lakeshard").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(repository.toFile()).redirectErrorStream(true);
        builder.environment().put("LAKESHARD_SERVER", host + ":8080");
        builder.environment().put("LAKESHARD_API_KEY", API_KEY);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), UTF_8);
        assertTrue(process.waitFor(3, TimeUnit.MINUTES));
        assertEquals(0, process.exitValue(), String.join(" ", args) + " on " + host + ":\n" + output);
        return output;
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

    private void awaitMembers(String host, int up, List<Process> nodes, Path logs) {
        TestCluster.await(FORMATION, () -> {
            for (Process node : nodes) {
                if (!node.isAlive()) {
                    throw new AssertionError("a node exited with " + node.exitValue() + "; logs in " + logs);
                }
            }
            return upMembers(host) == up && unreachable(host) == 0;
        }, host + " to see " + up + " members up");
    }

    private long upMembers(String host) {
        JsonNode members = clusterMembers(host);
        if (members == null) {
            return -1;
        }
        long count = 0;
        for (JsonNode member : members.path("members")) {
            count += member.path("status").asText().equals("Up") ? 1 : 0;
        }
        return count;
    }

    private long unreachable(String host) {
        JsonNode members = clusterMembers(host);
        return members == null ? -1 : members.path("unreachable").size();
    }

    private JsonNode clusterMembers(String host) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://" + host + ":8558/cluster/members"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? json.readTree(response.body()) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private int status(String host, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://" + host + ":8558" + path)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
