package io.lakeshard.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lakeshard.cluster.node.LakeshardNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.StreamSupport;

/** Lakeshard nodes in this JVM on loopback, sharing one storage root and one journal, as a cluster. */
public final class TestCluster implements AutoCloseable {
    public final List<LakeshardNode> nodes = new ArrayList<>();
    private final Path dir;
    private final int[] ports;

    private final String extraConfig;

    public TestCluster(Path dir, int size) {
        this(dir, size, "");
    }

    public TestCluster(Path dir, int size, String extraConfig) {
        this.extraConfig = extraConfig;
        this.dir = dir;
        this.ports = new int[size];
        for (int i = 0; i < size; i++) {
            ports[i] = freePort();
        }
    }

    public TestCluster start() throws Exception {
        for (int i = 0; i < ports.length; i++) {
            nodes.add(LakeshardNode.start(config(i)));
        }
        awaitUp(ports.length);
        return this;
    }

    public Config config(int i) {
        return ConfigFactory.parseString(extraConfig).withFallback(ConfigFactory.parseString("""
                akka.remote.artery.canonical.port = %d
                akka.cluster.seed-nodes = ["akka://lakeshard@127.0.0.1:%d"]
                akka.cluster.jmx.multi-mbeans-in-same-jvm = on
                akka.cluster.failure-detector.heartbeat-interval = 200ms
                akka.cluster.failure-detector.acceptable-heartbeat-pause = 2s
                akka.cluster.gossip-interval = 200ms
                akka.cluster.leader-actions-interval = 200ms
                akka.cluster.sharding.retry-interval = 200ms
                akka.coordinated-shutdown.exit-jvm = off
                akka.coordinated-shutdown.run-by-jvm-shutdown-hook = off
                lakeshard.data-dir = "%s"
                lakeshard.storage.root = "%s"
                lakeshard.journal.h2-path = "%s"
                lakeshard.management.enabled = false
                lakeshard.snapshot-poll-interval = 60s
                lakeshard.query.memory-limit = "256MB"
                """.formatted(ports[i], ports[0], dir.resolve("node-" + i), dir.resolve("storage"), dir.resolve("journal"))));
    }

    public void awaitUp(int members) {
        for (LakeshardNode node : nodes) {
            await(Duration.ofSeconds(30), () -> StreamSupport.stream(
                    Cluster.get(node.system()).state().getMembers().spliterator(), false)
                    .filter(m -> m.status() == MemberStatus.up()).count() == members, "cluster of " + members);
        }
    }

    public static void await(Duration timeout, BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    @Override
    public void close() throws Exception {
        for (LakeshardNode node : nodes) {
            node.close();
        }
        nodes.clear();
    }

    public static int freeLoopbackPort() {
        return freePort();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
