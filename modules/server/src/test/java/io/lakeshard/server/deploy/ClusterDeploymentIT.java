package io.lakeshard.server.deploy;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.cluster.PostgresServer;
import io.lakeshard.cluster.TestCluster;
import io.lakeshard.storage.S3TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
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
    private static final List<String> HOSTS = List.of("127.0.10.1", "127.0.10.2", "127.0.10.3");
    private static final Duration FORMATION = Duration.ofMinutes(3);

    private final Management management = new Management();

    @Test
    void threeNodesFromTheManifestsServeTheReadmeScenarioAndSurviveLosingOne(@TempDir Path dir) throws Exception {
        Pods pods = Pods.devOverlay(dir);
        try (PostgresServer postgres = PostgresServer.start();
                S3TestServer s3 = S3TestServer.start(dir.resolve("s3"), pods.s3AccessKey(), pods.s3SecretKey());
                KubernetesApi kubernetes = KubernetesApi.start(dir.resolve("kubernetes"), pods.namespace(), pods.podLabels())) {
            s3.createBucket(pods.bucket());
            List<Process> nodes = new ArrayList<>();
            try {
                kubernetes.pods(HOSTS);
                for (String host : HOSTS) {
                    nodes.add(pods.start(host, pods.appVersion(), postgres.url(), s3.endpoint().toString(), kubernetes));
                }
                for (String host : HOSTS) {
                    awaitMembers(host, 3, nodes, dir);
                    TestCluster.await(FORMATION, () -> management.status(host, "/ready") == 200, host + " to be ready");
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
                String oldest = management.oldestMember(HOSTS.get(1));
                int old = HOSTS.get(1).equals(oldest) ? 2 : 1;
                // The pod must write a table: each new dataset's writer goes to the member with the fewest.
                for (int extra = 0; management.tableShards(HOSTS.get(old)).isEmpty(); extra++) {
                    assertTrue(extra < 4, "no table writer lands on " + HOSTS.get(old));
                    String dataset = "observability.traces.rolling_" + extra;
                    cli(HOSTS.get(old), "register", dataset, "--schema", "examples/spans.schema.json", "--event-time", "start_time");
                    cli(HOSTS.get(old), "write", dataset, "--file", "examples/spans.csv");
                }
                Set<String> moving = management.tableShards(HOSTS.get(old));
                String next = "127.0.10.4";
                kubernetes.pods(List.of(HOSTS.get(1), HOSTS.get(2), next));
                nodes.add(pods.start(next, "0.2.0", postgres.url(), s3.endpoint().toString(), kubernetes));
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
                Set<String> running = new HashSet<>(management.tableShards(next));
                running.addAll(management.tableShards(remaining));
                assertTrue(running.containsAll(moving), "the stopped pod's tables have writers again: " + moving + " vs " + running);
                System.out.println("tables handed over from " + HOSTS.get(old) + ": " + moving + "; on the new version's pod: "
                        + management.tableShards(next) + ", on the old pod left: " + management.tableShards(remaining));
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
        builder.environment().put("LAKESHARD_API_KEY", Pods.API_KEY);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), UTF_8);
        assertTrue(process.waitFor(3, TimeUnit.MINUTES));
        assertEquals(0, process.exitValue(), String.join(" ", args) + " on " + host + ":\n" + output);
        return output;
    }

    private void awaitMembers(String host, int up, List<Process> nodes, Path logs) {
        management.awaitMembers(host, up, nodes, logs, FORMATION);
    }
}
