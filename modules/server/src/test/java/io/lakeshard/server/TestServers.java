package io.lakeshard.server;

import com.typesafe.config.ConfigFactory;
import io.lakeshard.cluster.TestCluster;
import io.lakeshard.storage.S3TestServer;
import java.net.URI;
import java.nio.file.Path;

/** One-node servers for tests: loopback ports of their own, no management endpoint, a small query memory limit. */
final class TestServers {
    private TestServers() {}

    /**
     * Settings that put a server's tables in an S3 bucket of the test S3 server (or a proxy in front of it at
     * {@code endpoint}), failing fast when the store is gone: one attempt, short timeouts.
     */
    static String onS3(String bucket, URI endpoint) {
        return """
                lakeshard.storage.root = "s3a://%s/lakeshard"
                lakeshard.storage.s3 {
                  endpoint = "%s"
                  path-style-access = true
                  credentials = static
                  access-key = "%s"
                  secret-key = "%s"
                }
                lakeshard.storage.hadoop {
                  "fs.s3a.retry.limit" = 1
                  "fs.s3a.retry.interval" = 100ms
                  "fs.s3a.attempts.maximum" = 1
                  "fs.s3a.connection.establish.timeout" = 2s
                }
                """.formatted(bucket, endpoint, S3TestServer.ACCESS_KEY, S3TestServer.SECRET_KEY);
    }

    /** {@code settings} (HOCON) add to or override the defaults a test server runs with. */
    static LakeshardServer start(Path dataDir, String settings) throws Exception {
        return LakeshardServer.start(ConfigFactory.parseString(settings).withFallback(ConfigFactory.parseString("""
                akka.remote.artery.canonical.port = %d
                akka.coordinated-shutdown.exit-jvm = off
                lakeshard.data-dir = "%s"
                lakeshard.management.enabled = false
                lakeshard.query.memory-limit = "256MB"
                lakeshard.server.port = 0
                lakeshard.flight.port = 0
                """.formatted(TestCluster.freeLoopbackPort(), dataDir))));
    }
}
