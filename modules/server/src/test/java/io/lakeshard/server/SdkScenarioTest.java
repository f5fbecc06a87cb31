package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.lakeshard.api.v1.Consistency;
import io.lakeshard.api.v1.QueryRequest;
import io.lakeshard.api.v1.TimeTravel;
import io.lakeshard.api.v1.WriteResponse;
import io.lakeshard.client.BatchingWriter;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.LakeshardException;
import io.lakeshard.client.QueryResults;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.storage.TestTables;
import io.lakeshard.testing.SpanBatches;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A user's whole session through the Java SDK against a real server on loopback. */
class SdkScenarioTest {
    private static final String ADMIN_KEY = "acme-admin";
    private static final String READER_KEY = "acme-reader";
    private static final String SPANS = "obs.traces.spans";

    @Test
    void registerWriteQueryEvolveOptimizeTimeTravelDeleteDrop(@TempDir Path dir) throws Exception {
        try (LakeshardServer server = TestServers.start(dir, """
                lakeshard.maintenance.tick-interval = 200ms
                lakeshard.server.api-keys = [
                  { tenant = "acme", sha256 = "%s", admin = true },
                  { tenant = "acme", sha256 = "%s" }
                ]
                """.formatted(ApiKeys.sha256(ADMIN_KEY), ApiKeys.sha256(READER_KEY)));
                LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), ADMIN_KEY);
                LakeshardClient reader = LakeshardClient.connect("127.0.0.1", server.port(), READER_KEY)) {

            assertTrue(client.register(SPANS, SpanBatches.SCHEMA, List.of(), "start_time", null).getCreated());
            long start = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now().minus(Duration.ofHours(1)));
            try (BatchingWriter writer = client.writer(SPANS, SpanBatches.SCHEMA, new BatchingWriter.Settings(500, 16L << 20, Duration.ofSeconds(5)))) {
                for (int b = 0; b < 3; b++) {
                    try (VectorSchemaRoot rows = SpanBatches.batch(client.allocator(), b * 50L, 400, start, 1_000_000L)) {
                        writer.append(rows);
                    }
                }
                writer.flush();
                List<WriteResponse> acks = writer.responses();
                assertEquals(3, acks.size(), "500-row batches: 500, 500, then the flushed 200");
                assertEquals(1200, acks.stream().mapToLong(WriteResponse::getRows).sum());
            }
            assertEquals(1200L, count(client, "SELECT count(*) AS n FROM obs.traces.spans", List.of()));
            long afterWrites = client.describe(SPANS).getVersion();

            client.addColumns(SPANS, List.of(new Field("note", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
            assertTrue(client.schema(client.dataset(SPANS)).getFields().stream().anyMatch(f -> f.getName().equals("note")));

            String optimized = client.optimize(SPANS);
            assertTrue(optimized.startsWith("done: optimize"), optimized);
            assertEquals(1200L, count(client, "SELECT count(*) AS n FROM obs.traces.spans", List.of()), "optimize keeps every row");

            long slow = 0;
            for (long trace = 0; trace < 150; trace++) {
                for (int span = 0; span < SpanBatches.SPANS_PER_TRACE; span++) {
                    slow += SpanBatches.durationMs(trace, span) >= 800 ? 1 : 0;
                }
            }
            long deleted = client.deleteRows(SPANS, "duration_ms >= 800").getRowsDeleted();
            assertEquals(slow, deleted);
            assertEquals(1200 - slow, count(client, "SELECT count(*) AS n FROM obs.traces.spans", List.of()));
            assertEquals(1200L, count(client, "SELECT count(*) AS n FROM obs.traces.spans", List.of(TimeTravel.newBuilder()
                    .setTable(SPANS).setVersion(afterWrites).build())), "as of the version after the writes");

            var status = client.clusterStatus();
            assertEquals(1, status.getMembersCount());
            assertEquals("Up", status.getMembers(0).getStatus());
            assertTrue(status.getWriterShardsList().stream().anyMatch(shards -> shards.getWriters() >= 1),
                    "the dataset's writer runs somewhere: " + status.getWriterShardsList());

            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
                    BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("lakeshard_maintenance_tasks_total{type=\"OPTIMIZE\",result=\"done\"} 1"), metrics);
            assertTrue(metrics.contains("lakeshard_maintenance_leases_total"), metrics);

            LakeshardException notAdmin = assertThrows(LakeshardException.class, () -> reader.optimize(SPANS));
            assertEquals(Status.Code.PERMISSION_DENIED, notAdmin.code());
            LakeshardException badFilter = assertThrows(LakeshardException.class, () -> client.deleteRows(SPANS, "length(span_name) > 3"));
            assertEquals(Status.Code.INVALID_ARGUMENT, badFilter.code());

            client.drop(SPANS);
            LakeshardException gone = assertThrows(LakeshardException.class, () -> client.dataset(SPANS));
            assertEquals(Status.Code.NOT_FOUND, gone.code());
            assertFalse(client.datasets().stream().anyMatch(d -> d.getName().equals(SPANS)));
        }
    }

    private static long count(LakeshardClient client, String sql, List<TimeTravel> travel) {
        try (QueryResults results = client.query(QueryRequest.newBuilder().setSql(sql).addAllTimeTravel(travel)
                .setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES).build())) {
            assertTrue(results.next());
            Map<String, Object> row = TestTables.rows(results.batch(), false).get(0);
            assertFalse(results.next());
            assertEquals(1, results.summary().getRows());
            return (Long) row.get("n");
        }
    }
}
