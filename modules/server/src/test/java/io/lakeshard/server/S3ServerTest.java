package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.grpc.GrpcClientSettings;
import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lakeshard.api.v1.Consistency;
import io.lakeshard.api.v1.IdempotencyKey;
import io.lakeshard.api.v1.IngestServiceClient;
import io.lakeshard.api.v1.MaintenancePolicy;
import io.lakeshard.api.v1.QueryRequest;
import io.lakeshard.api.v1.WriteRequest;
import io.lakeshard.api.v1.WriteResponse;
import io.lakeshard.arrow.ArrowStreams;
import io.lakeshard.grpc.FixedAddressResolver;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.LakeshardException;
import io.lakeshard.client.QueryResults;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.storage.S3FaultProxy;
import io.lakeshard.storage.S3TestServer;
import io.lakeshard.storage.TestTables;
import io.lakeshard.testing.SpanBatches;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service with its tables in an S3 bucket (s3proxy on loopback), through the public API. */
class S3ServerTest {
    private static final String KEY = "acme-s3";
    private static final String SPANS = "obs.traces.spans";

    @Test
    void writeQueryMaintainAndLoseTheStoreMidWriteWithoutLosingOrHalfCommittingAnything(@TempDir Path dir) throws Exception {
        // The node reaches the store through a proxy that can slow uploads down, so the store can be taken away
        // in the middle of one.
        try (S3TestServer s3 = S3TestServer.start(dir.resolve("s3")); S3FaultProxy link = S3FaultProxy.start(s3.endpoint())) {
            String bucket = s3.createBucket();
            try (LakeshardServer server = TestServers.start(dir.resolve("node"), settings(bucket, link.endpoint()));
                    LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY);
                    RawIngest raw = new RawIngest(server)) {

                assertTrue(client.register(SPANS, SpanBatches.SCHEMA, List.of(), "start_time", null).getCreated());
                long start = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now().minus(Duration.ofHours(1)));
                // A small batch goes to the writer inline; a large one is written to S3 by the receiving node.
                write(client, 0, 200, start, "inline", 0);
                write(client, 1_000, 20_000, start, "bulk", 0);
                long tenDaysAgo = start - Duration.ofDays(10).toNanos() / 1000;
                write(client, 100_000, 300, tenDaysAgo, "inline", 1);
                long rows = 20_500;
                assertEquals(rows, count(client));
                Path objects = s3.dataDirectory().resolve(bucket).resolve("lakeshard");
                assertTrue(objects(objects, "_delta_log", ".json") >= 3, "the Delta log is in the bucket");
                long dataFiles = objects(objects, "_ls_partition_date=", ".parquet");
                assertTrue(dataFiles >= 2, "the data files are in the bucket");

                String trace = SpanBatches.traceId(1_005);
                try (QueryResults results = client.query("SELECT count(*) AS n FROM obs.traces.spans WHERE trace_id = '" + trace + "'")) {
                    assertTrue(results.next());
                    assertEquals((long) SpanBatches.SPANS_PER_TRACE, TestTables.rows(results.batch(), false).get(0).get("n"));
                }
                double misses = metric(server, "lakeshard_file_cache_misses");
                double hits = metric(server, "lakeshard_file_cache_hits");
                assertTrue(misses >= dataFiles, "the first queries fetched every data file once: " + misses);
                // A filter on a column that is no partition: scanned, not answered from the log's statistics.
                assertEquals(rows, count(client, "duration_ms >= 0"));
                assertEquals(misses, metric(server, "lakeshard_file_cache_misses"), "the same files again come from the cache");
                assertTrue(metric(server, "lakeshard_file_cache_hits") > hits);

                assertTrue(client.optimize(SPANS).startsWith("done: optimize"));
                assertEquals(rows, count(client), "optimize keeps every row");
                LakeshardException keepsEverything = assertThrows(LakeshardException.class, () -> client.expire(SPANS));
                assertEquals(Status.Code.INVALID_ARGUMENT, keepsEverything.code());
                assertTrue(keepsEverything.getMessage().contains("policy.retention_days"), keepsEverything.getMessage());
                client.updatePolicy(SPANS, MaintenancePolicy.newBuilder().setRetentionDays(3).build());
                String expired = client.expire(SPANS);
                assertTrue(expired.startsWith("done"), expired);
                rows -= 300;
                assertEquals(rows, count(client), "the ten-day-old rows are gone");
                String vacuumed = client.vacuum(SPANS);
                assertTrue(vacuumed.startsWith("done: deleted 0 files"), "replaced files stay for the retention: " + vacuumed);
                long version = client.describe(SPANS).getVersion();

                // The store goes away while a data file is on its way up: the write fails with a status to retry on.
                byte[] large = ipc(client, 50_000, 50_000, start);
                link.throttle(256 * 1024).watchUploads(".parquet");
                var bulk = raw.write(large, "bulk", 1);
                assertTrue(link.awaitUploadUnderWay(Duration.ofMinutes(1)), "a data file upload is under way");
                s3.kill();
                assertUnavailable(bulk);
                // And an inline write while it is gone, which fails at the commit.
                assertUnavailable(raw.write(ipc(client, 60_000, 100, start), "inline", 2));

                s3.restart();
                link.throttle(Long.MAX_VALUE);
                assertEquals(version, client.describe(SPANS).getVersion(), "no commit while the store was gone");
                assertEquals(rows, count(client), "nothing half-committed");
                assertFalse(write(client, 50_000, 50_000, start, "bulk", 1).getReplay(), "the retried upload commits");
                assertTrue(write(client, 50_000, 50_000, start, "bulk", 1).getReplay(), "and only once");
                assertFalse(write(client, 60_000, 100, start, "inline", 2).getReplay(), "the retried inline write commits");
                assertTrue(write(client, 60_000, 100, start, "inline", 2).getReplay(), "and only once");
                assertEquals(rows + 50_100, count(client));
            }
        }
    }

    @Test
    void aStoreWithoutConditionalWritesIsRefusedUnlessSingleWriterOnlyIsAccepted(@TempDir Path dir) throws Exception {
        try (S3TestServer s3 = S3TestServer.startWithoutAuthorization(dir.resolve("s3"));
                S3FaultProxy store = S3FaultProxy.start(s3.endpoint()).dropConditionalWrites()) {
            String bucket = s3.createBucket();
            IllegalStateException refused = assertThrows(IllegalStateException.class,
                    () -> TestServers.start(dir.resolve("refused"), settings(bucket, store.endpoint())));
            assertTrue(refused.getMessage().contains("has no put-if-absent"), refused.getMessage());
            assertTrue(refused.getMessage().contains("accept-single-writer-only"), "it names the way out: " + refused.getMessage());

            try (LakeshardServer server = TestServers.start(dir.resolve("accepted"), settings(bucket, store.endpoint())
                    + "lakeshard.storage.s3.accept-single-writer-only = true\n");
                    LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
                assertTrue(client.register(SPANS, SpanBatches.SCHEMA, List.of(), "start_time", null).getCreated());
                long start = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
                assertFalse(write(client, 0, 200, start, "single", 0).getReplay());
                assertEquals(200, count(client), "the single writer still commits");
            }
        }
    }

    /** A node's settings for tables in {@code bucket} behind {@code endpoint}, failing fast when the store is gone. */
    private static String settings(String bucket, URI endpoint) {
        return TestServers.onS3(bucket, endpoint) + "lakeshard.server.api-keys = [{ tenant = \"acme\", sha256 = \"%s\", admin = true }]\n"
                .formatted(ApiKeys.sha256(KEY));
    }

    private static WriteResponse write(LakeshardClient client, long firstTrace, int rows, long start,
            String appId, long sequence) {
        try (VectorSchemaRoot batch = SpanBatches.batch(client.allocator(), firstTrace, rows, start, 1_000L)) {
            return client.write(SPANS, batch, appId, sequence);
        }
    }

    /** One attempt per write, no client retries: the status the server gave is what the test sees. */
    private static final class RawIngest implements AutoCloseable {
        private final ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "raw-ingest",
                ConfigFactory.parseString("akka.loglevel = WARNING"));
        private final IngestServiceClient ingest;

        RawIngest(LakeshardServer server) {
            ingest = IngestServiceClient.create(GrpcClientSettings.connectToServiceAt("127.0.0.1", server.port(), system)
                .withChannelBuilderOverrides(builder -> FixedAddressResolver.pin(builder, new InetSocketAddress("127.0.0.1", server.port())))
                    .withTls(false), system);
        }

        CompletableFuture<WriteResponse> write(byte[] ipc, String appId, long sequence) {
            return ingest.write().addHeader("authorization", "Bearer " + KEY).invoke(WriteRequest.newBuilder()
                    .setDataset(SPANS).setArrowIpc(ByteString.copyFrom(ipc))
                    .setKey(IdempotencyKey.newBuilder().setAppId(appId).setSequence(sequence)).build()).toCompletableFuture();
        }

        @Override
        public void close() {
            ingest.close();
            system.terminate();
        }
    }

    private static void assertUnavailable(CompletableFuture<?> write) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> write.get(2, TimeUnit.MINUTES));
        Status status = ((StatusRuntimeException) e.getCause()).getStatus();
        assertEquals(Status.Code.UNAVAILABLE, status.getCode(), status.toString());
        assertTrue(status.getDescription().contains("retry"), status.toString());
    }

    private static byte[] ipc(LakeshardClient client, long firstTrace, int rows, long start) {
        try (VectorSchemaRoot batch = SpanBatches.batch(client.allocator(), firstTrace, rows, start, 1_000L)) {
            return ArrowStreams.write(batch);
        }
    }

    private static long count(LakeshardClient client) {
        return count(client, "");
    }

    /** @param where empty: every row, answered from the log's statistics */
    private static long count(LakeshardClient client, String where) {
        try (QueryResults results = client.query(QueryRequest.newBuilder()
                .setSql("SELECT count(*) AS n FROM obs.traces.spans" + (where.isEmpty() ? "" : " WHERE " + where))
                .setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES).build())) {
            assertTrue(results.next());
            return (Long) TestTables.rows(results.batch(), false).get(0).get("n");
        }
    }

    private static long objects(Path directory, String within, String suffix) throws Exception {
        try (Stream<Path> files = Files.walk(directory)) {
            return files.filter(file -> file.toString().contains("/" + within) && file.getFileName().toString().endsWith(suffix))
                    .count();
        }
    }

    private static double metric(LakeshardServer server, String name) throws Exception {
        String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher matcher = Pattern.compile("(?m)^" + name + " ([0-9.eE+-]+)$").matcher(body);
        assertTrue(matcher.find(), name + " in " + body);
        return Double.parseDouble(matcher.group(1));
    }
}
