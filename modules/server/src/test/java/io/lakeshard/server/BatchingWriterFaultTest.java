package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.api.v1.WriteResponse;
import io.lakeshard.client.BatchingWriter;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.UnacknowledgedWriteException;
import io.lakeshard.cluster.TestCluster;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.testing.SpanBatches;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SDK's writer under network faults: every appended row is stored exactly once. */
class BatchingWriterFaultTest {
    private static final String KEY = "acme-key";
    private static final String SPANS = "obs.traces.spans";
    private static final int BATCH = 80;
    private static final long START = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now().minus(Duration.ofHours(1)));

    @Test
    void aBatchWhoseAcknowledgementIsLostIsRetriedUnderItsOwnKey(@TempDir Path dir) throws Exception {
        ExecutorService appender = Executors.newSingleThreadExecutor();
        try (LakeshardServer server = TestServers.start(dir, """
                lakeshard.server.api-keys = [{ tenant = "acme", sha256 = "%s" }]
                """.formatted(ApiKeys.sha256(KEY)));
                TcpRelay relay = new TcpRelay(server.port());
                LakeshardClient client = LakeshardClient.connect("127.0.0.1", relay.port(), KEY);
                LakeshardClient direct = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
            client.register(SPANS, SpanBatches.SCHEMA, List.of(), "start_time", null);
            try (BatchingWriter writer = client.writer(SPANS, SpanBatches.SCHEMA,
                    new BatchingWriter.Settings(BATCH, 16L << 20, Duration.ofHours(1), Duration.ofSeconds(2)))) {
                append(client, writer, 0);
                assertEquals(1, writer.responses().size(), "a full batch is sent at once");

                // The second batch reaches the server and commits, but its acknowledgement is lost.
                relay.dropResponses();
                Future<?> lost = appender.submit(() -> append(client, writer, 1));
                TestCluster.await(Duration.ofSeconds(30), () -> StoredSpans.of(direct, SPANS).rows() == 2 * BATCH, "the second batch to commit");
                relay.cut();
                ExecutionException failed = assertThrows(ExecutionException.class, () -> lost.get(1, TimeUnit.MINUTES));
                UnacknowledgedWriteException gaveUp = assertInstanceOf(UnacknowledgedWriteException.class, failed.getCause());
                assertTrue(gaveUp.retryable(), gaveUp.toString());
                assertTrue(gaveUp.inDoubt(), "the request reached the server: " + gaveUp);
                assertEquals(writer.appId(), gaveUp.appId());
                assertEquals(1, gaveUp.sequence(), "the second batch's key");
                assertEquals(BATCH, gaveUp.rows());
                relay.restore();

                // The application flushes again once the network is back: the batch goes under its own key.
                flushUntilAcknowledged(writer, gaveUp);
                append(client, writer, 2);
                List<WriteResponse> acks = writer.responses();
                assertEquals(List.of(false, true, false), acks.stream().map(WriteResponse::getReplay).toList(),
                        "the second batch's retry is answered as a replay");
                assertEquals(List.of((long) BATCH, (long) BATCH, (long) BATCH), acks.stream().map(WriteResponse::getRows).toList());
            }
            StoredSpans stored = StoredSpans.of(direct, SPANS);
            assertEquals(3 * BATCH, stored.rows(), "every appended row once");
            assertEquals(stored.rows(), stored.distinctIds(), "no row twice");
        } finally {
            appender.shutdownNow();
        }
    }

    @Test
    void aBatchInDoubtWhenTheServerStopsIsAReplayOnTheServerThatReplacesIt(@TempDir Path dir) throws Exception {
        String settings = """
                lakeshard.server.port = %d
                lakeshard.server.api-keys = [{ tenant = "acme", sha256 = "%s" }]
                """.formatted(TestCluster.freeLoopbackPort(), ApiKeys.sha256(KEY));
        ExecutorService appender = Executors.newSingleThreadExecutor();
        LakeshardServer server = TestServers.start(dir, settings);
        try (TcpRelay relay = new TcpRelay(server.port());
                LakeshardClient client = LakeshardClient.connect("127.0.0.1", relay.port(), KEY)) {
            client.register(SPANS, SpanBatches.SCHEMA, List.of(), "start_time", null);
            try (BatchingWriter writer = client.writer(SPANS, SpanBatches.SCHEMA,
                    new BatchingWriter.Settings(BATCH, 16L << 20, Duration.ofHours(1), Duration.ofMinutes(2)))) {
                append(client, writer, 0);

                // The second batch commits, its acknowledgement is lost, and the server stops: the node that
                // answers the retry has only the Delta log to know the key by.
                relay.dropResponses();
                Future<?> retried = appender.submit(() -> append(client, writer, 1));
                try (LakeshardClient direct = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
                    TestCluster.await(Duration.ofSeconds(30), () -> StoredSpans.of(direct, SPANS).rows() == 2 * BATCH,
                            "the second batch to commit");
                }
                server.close();
                server = null;
                relay.cut();
                relay.restore();
                server = TestServers.start(dir, settings);

                retried.get(2, TimeUnit.MINUTES);
                append(client, writer, 2);
                List<WriteResponse> acks = writer.responses();
                assertEquals(List.of(false, true, false), acks.stream().map(WriteResponse::getReplay).toList(),
                        "the second batch, retried under its key, is a replay on the new server");
            }
            StoredSpans stored = StoredSpans.of(client, SPANS);
            assertEquals(3 * BATCH, stored.rows(), "every appended row once");
            assertEquals(stored.rows(), stored.distinctIds(), "no row twice");
        } finally {
            appender.shutdownNow();
            if (server != null) {
                server.close();
            }
        }
    }

    /** Flushes until the writer's batch in doubt is acknowledged, while the client reconnects. */
    private static void flushUntilAcknowledged(BatchingWriter writer, UnacknowledgedWriteException inDoubt) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                writer.flush();
                return;
            } catch (UnacknowledgedWriteException e) {
                assertTrue(e.retryable() && System.nanoTime() < deadline, e.toString());
                assertEquals(inDoubt.sequence(), e.sequence(), "the same batch, under the same key");
                assertTrue(e.inDoubt(), "still in doubt: " + e);
            }
        }
    }

    private static void append(LakeshardClient client, BatchingWriter writer, int batch) {
        try (VectorSchemaRoot rows = SpanBatches.batch(client.allocator(), batch * 10L, BATCH, START, 1_000L)) {
            writer.append(rows);
        }
    }
}
