package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.cluster.TestCluster;
import io.lakeshard.service.auth.ApiKeys;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.apache.arrow.flight.CallOption;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.sql.FlightSqlClient;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A ticket issued by one node of a cluster is redeemed by another: it carries the statement, signed by the cluster. */
class FlightSqlClusterTest {
    private static final String KEY = "acme-cluster-key";

    @Test
    void aQueryPlannedOnOneNodeIsFetchedFromAnother(@TempDir Path dir) throws Exception {
        TestCluster cluster = new TestCluster(dir, 3, """
                lakeshard.server.port = 0
                lakeshard.flight.port = 0
                lakeshard.flight.ticket-secret = "a-secret-every-node-of-this-test-cluster-shares"
                lakeshard.server.api-keys = [{ tenant = "acme", sha256 = "%s" }]
                """.formatted(ApiKeys.sha256(KEY)));
        try (LakeshardServer a = LakeshardServer.start(cluster.config(0));
                LakeshardServer b = LakeshardServer.start(cluster.config(1));
                LakeshardServer c = LakeshardServer.start(cluster.config(2));
                BufferAllocator allocator = new RootAllocator()) {
            for (LakeshardServer server : List.of(a, b, c)) {
                TestCluster.await(Duration.ofSeconds(30), () -> StreamSupport.stream(
                        Cluster.get(server.service().node().system()).state().getMembers().spliterator(), false)
                        .filter(member -> member.status() == MemberStatus.up()).count() == 3, "a cluster of three");
            }
            try (LakeshardClient client = LakeshardClient.connect("127.0.0.1", a.port(), KEY)) {
                client.register("lake.sales.big", FlightSqlJdbcTest.NUMBERS, List.of());
                try (VectorSchemaRoot rows = FlightSqlJdbcTest.numbers(client.allocator(), 0, 5_000)) {
                    client.write("lake.sales.big", rows, "fixture", 1);
                }
            }
            String sql = "SELECT id FROM lake.sales.big WHERE id % 7 = 0 ORDER BY id";
            CallOption auth = FlightSqlJdbcTest.bearer(KEY);
            try (FlightClient onA = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", a.flightPort().getAsInt())).build();
                    FlightClient onB = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", b.flightPort().getAsInt())).build();
                    FlightClient onC = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", c.flightPort().getAsInt())).build();
                    FlightSqlClient sqlA = new FlightSqlClient(onA);
                    FlightSqlClient sqlB = new FlightSqlClient(onB);
                    FlightSqlClient sqlC = new FlightSqlClient(onC)) {
                FlightInfo info = sqlA.execute(sql, auth);
                List<Long> fromA = ids(sqlA.getStream(info.getEndpoints().get(0).getTicket(), auth));
                List<Long> fromB = ids(sqlB.getStream(info.getEndpoints().get(0).getTicket(), auth));
                assertEquals(715, fromB.size(), "every multiple of 7 below 5000");
                assertEquals(fromA, fromB, "node B returns what node A would");
                assertEquals(fromA, ids(sqlC.getStream(info.getEndpoints().get(0).getTicket(), auth)), "and so does node C");
            }
        }
    }

    private static List<Long> ids(FlightStream stream) throws Exception {
        try (stream) {
            List<Long> ids = new ArrayList<>();
            while (stream.next()) {
                BigIntVector id = (BigIntVector) stream.getRoot().getVector("id");
                for (int i = 0; i < stream.getRoot().getRowCount(); i++) {
                    ids.add(id.get(i));
                }
            }
            return ids;
        }
    }
}
