package io.lakeshard.server;

import com.typesafe.config.ConfigFactory;
import io.lakeshard.cluster.TestCluster;
import java.nio.file.Path;

/** One-node servers for tests: loopback ports of their own, no management endpoint, a small query memory limit. */
final class TestServers {
    private TestServers() {}

    /** {@code settings} (HOCON) add to or override the defaults a test server runs with. */
    static LakeshardServer start(Path dataDir, String settings) throws Exception {
        return LakeshardServer.start(ConfigFactory.parseString(settings).withFallback(ConfigFactory.parseString("""
                akka.remote.artery.canonical.port = %d
                akka.coordinated-shutdown.exit-jvm = off
                lakeshard.data-dir = "%s"
                lakeshard.management.enabled = false
                lakeshard.query.memory-limit = "256MB"
                lakeshard.server.port = 0
                """.formatted(TestCluster.freeLoopbackPort(), dataDir))));
    }
}
