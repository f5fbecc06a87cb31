package io.lakeshard.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.cluster.sharding.ShardRegion;
import akka.cluster.sharding.typed.GetShardRegionState;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import io.lakeshard.cluster.node.LakeshardNode;
import io.lakeshard.cluster.registry.DatasetRegistry;
import io.lakeshard.cluster.registry.DatasetSpec;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import io.lakeshard.cluster.table.TableEntity;
import io.lakeshard.storage.AllTypes;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.table.IdempotencyKey;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One node on its embedded defaults: health checks, and writers that passivate when idle and come back. */
class SingleNodeTest {
    private static final DatasetName NAME = DatasetName.parse("obs.logs.lines");

    @Test
    void healthChecksAnswerAndIdleWritersPassivateAndReactivate(@TempDir Path dir) throws Exception {
        int managementPort = TestCluster.freeLoopbackPort();
        try (TestCluster cluster = new TestCluster(dir, 1, """
                lakeshard.management.enabled = true
                akka.management.http.port = %d
                akka.cluster.sharding.passivation.default-idle-strategy.idle-entity.timeout = 3s
                """.formatted(managementPort)).start(); BufferAllocator allocator = new RootAllocator()) {
            HttpClient http = HttpClient.newHttpClient();
            TestCluster.await(Duration.ofSeconds(30), () -> status(http, managementPort, "/ready") == 200, "/ready");
            assertEquals(200, status(http, managementPort, "/alive"));

            LakeshardNode node = cluster.nodes.get(0);
            assertInstanceOf(DatasetRegistry.Accepted.class, node.registry().register("acme", NAME,
                    DatasetSpec.of(DatasetDefinition.of(AllTypes.SCHEMA, List.of())), MaintenancePolicy.defaults())
                    .toCompletableFuture().get(30, TimeUnit.SECONDS));
            write(node, allocator, 1);
            assertEquals(1, activeWriters(node), "the writer is running");
            TestCluster.await(Duration.ofSeconds(20), () -> activeWriters(node) == 0, "the idle writer to passivate");
            write(node, allocator, 2);
            assertEquals(1, activeWriters(node), "the next write brings it back");
        }
    }

    private static void write(LakeshardNode node, BufferAllocator allocator, long sequence) throws Exception {
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, sequence * 100, 10)) {
            assertTrue(assertInstanceOf(TableEntity.WriteAck.class, node.ingest().write("acme", NAME, batch,
                    new IdempotencyKey("passivation", sequence)).toCompletableFuture().get(30, TimeUnit.SECONDS)).applied());
        }
    }

    private static int activeWriters(LakeshardNode node) {
        TestProbe<ShardRegion.CurrentShardRegionState> probe = TestProbe.create(node.system());
        ClusterSharding.get(node.system()).shardState().tell(new GetShardRegionState(TableEntity.ENTITY_KEY, probe.getRef()));
        return probe.receiveMessage(Duration.ofSeconds(10)).getShards().stream().mapToInt(shard -> shard.getEntityIds().size()).sum();
    }

    private static int status(HttpClient http, int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }
}
