package io.lakeshard.bench;

import com.typesafe.config.ConfigFactory;
import io.lakeshard.server.LakeshardServer;
import io.lakeshard.service.auth.ApiKeys;
import java.nio.file.Path;

/** The one-node server every benchmark measures: loopback ports of its own, no management endpoint, one tenant. */
final class BenchServers {
    private BenchServers() {}

    /**
     * A server with its data in {@code dataDir} and tenant {@code bench}, an admin, with API key {@code key}.
     *
     * @param settings HOCON that adds to or overrides these
     */
    static LakeshardServer start(Path dataDir, String key, String settings) throws Exception {
        return LakeshardServer.start(ConfigFactory.parseString(settings).withFallback(ConfigFactory.parseString("""
                akka.remote.artery.canonical.port = %d
                akka.loglevel = WARNING
                akka.coordinated-shutdown.exit-jvm = off
                lakeshard.data-dir = "%s"
                lakeshard.management.enabled = false
                lakeshard.server.port = 0
                lakeshard.flight.port = 0
                lakeshard.server.api-keys = [{ tenant = "bench", sha256 = "%s", admin = true }]
                """.formatted(LoopbackPorts.free(), dataDir, ApiKeys.sha256(key)))));
    }
}
