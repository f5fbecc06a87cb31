package io.lakeshard.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.cluster.Member;
import akka.cluster.typed.Cluster;
import com.typesafe.config.Config;
import io.lakeshard.cluster.node.LakeshardNode;
import io.lakeshard.testing.TestCertificates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Remoting with mutual TLS, as the Kubernetes manifests run it: nodes holding the cluster's key form the cluster;
 * a process that lists a member as its seed but holds another key is never let in (before, any process speaking
 * Artery to the remoting port joined).
 */
class RemotingTlsTest {
    private static final String PASSWORD = "remoting-secret";

    @Test
    void onlyNodesHoldingTheClustersKeyJoin(@TempDir Path dir) throws Exception {
        Path clusterKey = TestCertificates.loopbackKeystore(dir.resolve("cluster.p12"), PASSWORD);
        Path otherKey = TestCertificates.loopbackKeystore(dir.resolve("other.p12"), PASSWORD);
        try (TestCluster cluster = new TestCluster(dir.resolve("cluster"), 2, tls(clusterKey)).start()) {
            LakeshardNode seed = cluster.nodes.get(0);
            Set<String> members = members(seed);
            assertEquals(2, members.size(), "both nodes with the cluster's key are up: " + members);

            // Another deployment's node on the same host, pointed at this cluster's seed, with a key of its own.
            Config intruder = new TestCluster(dir.resolve("intruder"), 1, tls(otherKey) + """
                    akka.cluster.seed-nodes = ["%s"]
                    akka.cluster.shutdown-after-unsuccessful-join-seed-nodes = 5s
                    """.formatted(seed.system().address())).config(0);
            try (LakeshardNode stranger = LakeshardNode.start(intruder)) {
                // It gives up joining (its handshakes are refused) and stops itself.
                stranger.system().getWhenTerminated().toCompletableFuture().get(2, TimeUnit.MINUTES);
                assertEquals(members, members(seed), "the cluster never saw it");
                assertTrue(members(seed).stream().noneMatch(member -> member.contains(String.valueOf(
                        stranger.system().address().getPort().orElseThrow()))));
            }
            TestCluster.await(Duration.ofSeconds(10), () -> members(cluster.nodes.get(1)).equals(members),
                    "the second member's view to be the same");
        }
    }

    private static String tls(Path keystore) {
        return """
                akka.remote.artery.transport = tls-tcp
                akka.remote.artery.ssl.config-ssl-engine.key-store = "%s"
                akka.remote.artery.ssl.config-ssl-engine.trust-store = "%s"
                akka.remote.artery.ssl.config-ssl-engine.key-store-password = "%s"
                akka.remote.artery.ssl.config-ssl-engine.key-password = "%s"
                akka.remote.artery.ssl.config-ssl-engine.trust-store-password = "%s"
                """.formatted(keystore, keystore, PASSWORD, PASSWORD, PASSWORD);
    }

    private static Set<String> members(LakeshardNode node) {
        return StreamSupport.stream(Cluster.get(node.system()).state().getMembers().spliterator(), false)
                .map(Member::address).map(Object::toString).collect(Collectors.toSet());
    }
}
