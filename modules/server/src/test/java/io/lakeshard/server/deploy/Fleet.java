package io.lakeshard.server.deploy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.cluster.TestCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The pods, started, killed and restarted as Kubernetes would, with the API server listing those running. */
final class Fleet {
    private final Pods pods;
    private final List<String> hosts;
    private final String journalUrl;
    private final String storeEndpoint;
    private final KubernetesApi kubernetes;
    private final Management management;
    private final Duration formation;
    private final Duration recovery;
    private final Map<String, Process> running = new HashMap<>();

    /**
     * @param formation how long pods may take to form the cluster and be ready
     * @param recovery how long the others may take to remove a pod that is gone
     */
    Fleet(Pods pods, List<String> hosts, String journalUrl, String storeEndpoint, KubernetesApi kubernetes, Management management,
            Duration formation, Duration recovery) {
        this.pods = pods;
        this.hosts = List.copyOf(hosts);
        this.journalUrl = journalUrl;
        this.storeEndpoint = storeEndpoint;
        this.kubernetes = kubernetes;
        this.management = management;
        this.formation = formation;
        this.recovery = recovery;
    }

    void startAll() throws Exception {
        kubernetes.pods(hosts);
        for (String host : hosts) {
            start(host);
        }
        for (String host : hosts) {
            awaitUp(host, hosts.size());
        }
    }

    void kill(String host) throws InterruptedException {
        Process pod = running.remove(host);
        pod.destroyForcibly();
        assertTrue(pod.waitFor(30, TimeUnit.SECONDS));
        left(host);
    }

    void terminate(String host) throws InterruptedException {
        Process pod = running.remove(host);
        pod.destroy();
        assertTrue(pod.waitFor(60, TimeUnit.SECONDS), "coordinated shutdown ends within the grace period");
        left(host);
    }

    /** Starts the pod again once the others have removed its last incarnation, and waits until it is up. */
    void restart(String host) throws Exception {
        kubernetes.pods(hosts);
        start(host);
        for (String member : hosts) {
            awaitUp(member, hosts.size());
        }
    }

    void stopAll() throws InterruptedException {
        for (Process pod : running.values()) {
            pod.destroy();
        }
        for (Process pod : running.values()) {
            if (!pod.waitFor(30, TimeUnit.SECONDS)) {
                pod.destroyForcibly();
            }
        }
    }

    /**
     * Has every running pod print its threads' stacks into its log (SIGQUIT: the JVM's thread dump on standard out),
     * and waits until each has: what a test that failed on a stall keeps, so the log says where the pods were.
     */
    void dumpThreads() throws Exception {
        Map<String, Long> before = new HashMap<>();
        for (String host : running.keySet()) {
            before.put(host, dumps(host));
            new ProcessBuilder("kill", "-QUIT", Long.toString(running.get(host).pid())).inheritIO().start().waitFor();
        }
        for (String host : before.keySet()) {
            TestCluster.await(Duration.ofSeconds(30), () -> dumps(host) > before.get(host), host + "'s thread dump");
        }
    }

    private long dumps(String host) {
        try (Stream<String> lines = Files.lines(pods.log(host), StandardCharsets.UTF_8)) {
            return lines.filter(line -> line.startsWith("Full thread dump")).count();
        } catch (IOException | UncheckedIOException e) {
            return 0;
        }
    }

    private void left(String host) {
        List<String> others = hosts.stream().filter(other -> !other.equals(host)).toList();
        kubernetes.pods(others);
        for (String other : others) {
            management.awaitMembers(other, others.size(), List.copyOf(running.values()), pods.log(other).getParent(), recovery);
        }
    }

    private void start(String host) throws Exception {
        running.put(host, pods.start(host, pods.appVersion(), journalUrl, storeEndpoint, kubernetes));
    }

    private void awaitUp(String host, int members) {
        management.awaitMembers(host, members, List.copyOf(running.values()), pods.log(host).getParent(), formation);
        TestCluster.await(formation, () -> management.status(host, "/ready") == 200, host + " to be ready");
    }
}
