package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.grpc.GrpcClientSettings;
import akka.stream.javadsl.Source;
import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lakeshard.api.v1.IdempotencyKey;
import io.lakeshard.api.v1.IngestServiceClient;
import io.lakeshard.api.v1.MaintenancePolicy;
import io.lakeshard.api.v1.WriteChunk;
import io.lakeshard.api.v1.WriteRequest;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.LakeshardException;
import io.lakeshard.client.QueryResults;
import io.lakeshard.server.auth.ApiKeys;
import io.lakeshard.storage.HeaderStrippingProxy;
import io.lakeshard.storage.S3TestServer;
import io.lakeshard.storage.TestTables;
import io.lakeshard.storage.example.SpanBatches;
import io.lakeshard.storage.write.ArrowStreams;
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
        try (S3TestServer s3 = S3TestServer.start(dir.resolve("s3"))) {
            String bucket = s3.createBucket();
            try (LakeshardServer server = TestServers.start(dir.resolve("node"), settings(bucket, s3.endpoint()));
                    LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {

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
                assertEquals(rows, count(client));
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

                // The store goes away under a bulk upload and an inline write: both fail with a status to retry on.
                s3.kill();
                byte[] whole;
                try (VectorSchemaRoot batch = SpanBatches.batch(client.allocator(), 50_000, 5_000, start, 1_000L)) {
                    whole = ArrowStreams.write(batch);
                }
                byte[] small;
                try (VectorSchemaRoot batch = SpanBatches.batch(client.allocator(), 60_000, 100, start, 1_000L)) {
                    small = ArrowStreams.write(batch);
                }
                List<StatusRuntimeException> failures = writesWhileTheStoreIsGone(server, whole, small);
                for (StatusRuntimeException failed : failures) {
                    assertEquals(Status.Code.UNAVAILABLE, failed.getStatus().getCode(), failed.getMessage());
                    assertTrue(failed.getStatus().getDescription().contains("retry"), failed.getMessage());
                }

                s3.restart();
                assertEquals(version, client.describe(SPANS).getVersion(), "no commit while the store was gone");
                assertEquals(rows, count(client), "nothing half-committed");
                assertFalse(write(client, 60_000, 100, start, "inline", 2).getReplay(), "the retry commits");
                assertTrue(write(client, 60_000, 100, start, "inline", 2).getReplay(), "and only once");
                assertEquals(rows + 100, count(client));
            }
        }
    }

    @Test
    void aStoreWithoutConditionalWritesIsRefusedUnlessSingleWriterOnlyIsAccepted(@TempDir Path dir) throws Exception {
        try (S3TestServer s3 = S3TestServer.startWithoutAuthorization(dir.resolve("s3"));
                HeaderStrippingProxy store = HeaderStrippingProxy.start(s3.endpoint())) {
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
                lakeshard.server.api-keys = [{ tenant = "acme", sha256 = "%s", admin = true }]
                """.formatted(bucket, endpoint, S3TestServer.ACCESS_KEY, S3TestServer.SECRET_KEY, ApiKeys.sha256(KEY));
    }

    private static io.lakeshard.api.v1.WriteResponse write(LakeshardClient client, long firstTrace, int rows, long start,
            String appId, long sequence) {
        try (VectorSchemaRoot batch = SpanBatches.batch(client.allocator(), firstTrace, rows, start, 1_000L)) {
            return client.write(SPANS, batch, appId, sequence);
        }
    }

    /**
     * A chunked upload whose last chunks leave only once the store is gone (the caller killed it), then an inline
     * write under the key the test later retries; one attempt each, no client retries.
     */
    private static List<StatusRuntimeException> writesWhileTheStoreIsGone(LakeshardServer server, byte[] whole, byte[] small)
            throws Exception {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "s3-client", ConfigFactory.parseString("akka.loglevel = WARNING"));
        try {
            IngestServiceClient ingest = IngestServiceClient.create(
                    GrpcClientSettings.connectToServiceAt("127.0.0.1", server.port(), system).withTls(false), system);
            List<WriteChunk> chunks = new ArrayList<>();
            for (int offset = 0; offset < whole.length; offset += 64 * 1024) {
                WriteChunk.Builder chunk = WriteChunk.newBuilder()
                        .setArrowIpc(ByteString.copyFrom(whole, offset, Math.min(64 * 1024, whole.length - offset)));
                if (offset == 0) {
                    chunk.setDataset(SPANS).setKey(IdempotencyKey.newBuilder().setAppId("stream").setSequence(0));
                }
                chunks.add(chunk.build());
            }
            assertTrue(chunks.size() >= 2);
            var stream = ingest.writeStream().addHeader("authorization", "Bearer " + KEY).invoke(Source.from(chunks));
            var inline = ingest.write().addHeader("authorization", "Bearer " + KEY).invoke(WriteRequest.newBuilder()
                    .setDataset(SPANS).setArrowIpc(ByteString.copyFrom(small))
                    .setKey(IdempotencyKey.newBuilder().setAppId("inline").setSequence(2)).build());
            List<StatusRuntimeException> failures = new ArrayList<>();
            for (var call : List.of(stream.toCompletableFuture(), inline.toCompletableFuture())) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> call.get(2, TimeUnit.MINUTES));
                failures.add((StatusRuntimeException) e.getCause());
            }
            ingest.close();
            return failures;
        } finally {
            system.terminate();
        }
    }

    private static long count(LakeshardClient client) {
        try (QueryResults results = client.query(io.lakeshard.api.v1.QueryRequest.newBuilder()
                .setSql("SELECT count(*) AS n FROM obs.traces.spans")
                .setConsistency(io.lakeshard.api.v1.Consistency.CONSISTENCY_READ_YOUR_WRITES).build())) {
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
