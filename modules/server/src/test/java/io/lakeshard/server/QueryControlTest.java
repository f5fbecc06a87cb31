package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import io.grpc.Status;
import io.lakeshard.api.v1.QueryRequest;
import io.lakeshard.api.v1.RunningQuery;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.LakeshardException;
import io.lakeshard.client.QueryResults;
import io.lakeshard.cluster.TestCluster;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.testing.SpanBatches;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.stream.StreamSupport;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Query ids are the server's and each tenant's own: another tenant can neither see nor cancel a query, nor collide
 * with its label, and a cancel sent to any node of the cluster stops the query on the node that runs it.
 */
class QueryControlTest {
    private static final String ACME_KEY = "acme-key";
    private static final String GLOBEX_KEY = "globex-key";
    private static final String SPANS = "obs.traces.spans";
    /** A hash per row of a three-way self-join: hours of work that statistics cannot skip, unless cancelled. */
    private static final String SLOW = "SELECT count(*) AS n FROM obs.traces.spans a, obs.traces.spans b, obs.traces.spans c "
            + "WHERE hash(a.span_id, b.span_id, c.span_id) = 42";

    @Test
    void aQueryIsItsTenantsAloneAndCancelReachesItFromAnyNode(@TempDir Path dir) throws Exception {
        TestCluster cluster = new TestCluster(dir, 2, """
                lakeshard.server.port = 0
                lakeshard.flight.port = 0
                lakeshard.server.api-keys = [
                  { tenant = "acme", sha256 = "%s" },
                  { tenant = "globex", sha256 = "%s" }
                ]
                """.formatted(ApiKeys.sha256(ACME_KEY), ApiKeys.sha256(GLOBEX_KEY)));
        try (LakeshardServer a = LakeshardServer.start(cluster.config(0));
                LakeshardServer b = LakeshardServer.start(cluster.config(1))) {
            for (LakeshardServer server : List.of(a, b)) {
                TestCluster.await(Duration.ofSeconds(30), () -> StreamSupport.stream(
                        Cluster.get(server.service().node().system()).state().getMembers().spliterator(), false)
                        .filter(member -> member.status() == MemberStatus.up()).count() == 2, "a cluster of two");
            }
            try (LakeshardClient acmeOnA = LakeshardClient.connect("127.0.0.1", a.port(), ACME_KEY);
                    LakeshardClient acmeOnB = LakeshardClient.connect("127.0.0.1", b.port(), ACME_KEY);
                    LakeshardClient globexOnA = LakeshardClient.connect("127.0.0.1", a.port(), GLOBEX_KEY)) {
                acmeOnA.register(SPANS, SpanBatches.SCHEMA, List.of(), "start_time", null);
                long start = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now().minus(Duration.ofHours(1)));
                try (VectorSchemaRoot rows = SpanBatches.batch(acmeOnA.allocator(), 0, 4_000, start, 1_000L)) {
                    acmeOnA.write(SPANS, rows, "loader", 1);
                }

                QueryResults slow = acmeOnA.query(QueryRequest.newBuilder().setSql(SLOW).setLabel("nightly")
                        .setTimeoutMillis(Duration.ofMinutes(3).toMillis()).build());
                String id = slow.queryId();
                assertNotEquals("nightly", id, "the server names the query; the label stays a label");

                // The same label from another tenant, while acme's query runs: its own query, not a collision.
                try (QueryResults answer = globexOnA.query(QueryRequest.newBuilder().setSql("SELECT 42 AS answer")
                        .setLabel("nightly").build())) {
                    assertTrue(answer.next());
                    assertEquals(42, ((Number) answer.batch().getVector("answer").getObject(0)).intValue());
                    assertNotEquals(id, answer.queryId());
                }

                assertTrue(globexOnA.runningQueries().stream().noneMatch(query -> query.getQueryId().equals(id)),
                        "globex does not see acme's query");
                assertFalse(globexOnA.cancel(id), "globex cannot cancel acme's query");

                List<RunningQuery> seenFromB = awaitRunning(acmeOnB, id);
                assertEquals("nightly", seenFromB.get(0).getLabel());
                assertEquals(SLOW, seenFromB.get(0).getSql());
                assertEquals(a.service().node().system().address().toString(), seenFromB.get(0).getNode(), "runs on node A");

                assertTrue(acmeOnB.cancel(id), "a cancel sent to node B reaches the query on node A");
                LakeshardException stopped = assertThrows(LakeshardException.class, () -> {
                    while (slow.next()) {
                        // drain until the cancel ends the stream
                    }
                });
                assertEquals(Status.Code.DEADLINE_EXCEEDED, stopped.code(), stopped.getMessage());
                slow.close();
                TestCluster.await(Duration.ofSeconds(10), () -> acmeOnB.runningQueries().isEmpty(), "the query to end everywhere");
                assertFalse(acmeOnB.cancel(id), "an ended query is not running");
            }
        }
    }

    /** The query as listed through {@code client}'s node, once that node has learned of every node's directory. */
    private static List<RunningQuery> awaitRunning(LakeshardClient client, String id) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            List<RunningQuery> queries = client.runningQueries().stream().filter(query -> query.getQueryId().equals(id)).toList();
            if (!queries.isEmpty()) {
                return queries;
            }
            assertTrue(System.nanoTime() < deadline, "query " + id + " never listed");
            Thread.onSpinWait();
        }
    }

    /**
     * Every query stopped before its end resets its HTTP/2 stream. A client that reads its queries to the end resets
     * none (on a server that tolerates almost no resets), and one that stops hundreds early keeps its connection on
     * the shipped settings (akka-http's own default closes it after 400 in 10 s). Stopping them early, each while the
     * server reads its next batch, must not harm the server either (it freed a result under a read, and crashed).
     */
    @Test
    void queriesReadToTheEndResetNothingAndQueriesStoppedEarlyKeepTheConnection(@TempDir Path dir) throws Exception {
        String keys = "lakeshard.server.api-keys = [ { tenant = \"acme\", sha256 = \"%s\" } ]".formatted(ApiKeys.sha256(ACME_KEY));
        try (LakeshardServer strict = TestServers.start(dir.resolve("strict"), keys + "\nakka.http.server.http2.max-resets = 10");
                LakeshardClient client = LakeshardClient.connect("127.0.0.1", strict.port(), ACME_KEY)) {
            for (int i = 0; i < 100; i++) {
                try (QueryResults results = client.query("SELECT " + i + " AS i")) {
                    assertTrue(results.next());
                    assertEquals(i, ((Number) results.batch().getVector("i").getObject(0)).intValue());
                    assertFalse(results.next());
                }
            }
        }
        try (LakeshardServer shipped = TestServers.start(dir.resolve("shipped"), keys);
                LakeshardClient client = LakeshardClient.connect("127.0.0.1", shipped.port(), ACME_KEY)) {
            client.register(SPANS, SpanBatches.SCHEMA, List.of(), "start_time", null);
            long start = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now().minus(Duration.ofHours(1)));
            try (VectorSchemaRoot rows = SpanBatches.batch(client.allocator(), 0, 40_000, start, 1_000L)) {
                client.write(SPANS, rows, "loader", 1);
            }
            for (int i = 0; i < 600; i++) {
                try (QueryResults results = client.query("SELECT * FROM " + SPANS)) {
                    assertTrue(results.next(), "query " + i);
                }
            }
            try (QueryResults results = client.query("SELECT count(*) AS n FROM " + SPANS)) {
                assertTrue(results.next(), "the connection and the server are still there");
                assertEquals(40_000L, ((Number) results.batch().getVector("n").getObject(0)).longValue());
            }
        }
    }
}
