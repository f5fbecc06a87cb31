package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import io.lakeshard.client.BatchingWriter;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.cluster.TestCluster;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.testing.SpanBatches;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.StreamSupport;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A client given every node of a cluster goes on writing through another node when its own goes away. */
class ClientFailoverTest {
    private static final String KEY = "acme-key";
    private static final String SPANS = "obs.traces.spans";
    private static final int BATCH = 80;

    @Test
    void writesGoOnThroughTheOtherNodeUnderTheSameKeys(@TempDir Path dir) throws Exception {
        TestCluster cluster = new TestCluster(dir, 2, """
                lakeshard.server.port = 0
                lakeshard.flight.port = 0
                lakeshard.server.api-keys = [{ tenant = "acme", sha256 = "%s" }]
                """.formatted(ApiKeys.sha256(KEY)));
        ExecutorService appender = Executors.newSingleThreadExecutor();
        LakeshardServer first = LakeshardServer.start(cluster.config(0));
        boolean firstClosed = false;
        try (LakeshardServer second = LakeshardServer.start(cluster.config(1))) {
            for (LakeshardServer server : List.of(first, second)) {
                TestCluster.await(Duration.ofSeconds(30), () -> StreamSupport.stream(
                        Cluster.get(server.service().node().system()).state().getMembers().spliterator(), false)
                        .filter(member -> member.status() == MemberStatus.up()).count() == 2, "a cluster of two");
            }
            try (LakeshardClient client = LakeshardClient.connect(List.of(
                    new InetSocketAddress("127.0.0.1", first.port()), new InetSocketAddress("localhost", second.port())), KEY)) {
                client.register(SPANS, SpanBatches.SCHEMA, List.of(), "start_time", null);
                long start = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now().minus(Duration.ofHours(1)));
                AtomicBoolean writing = new AtomicBoolean(true);
                int appended;
                try (BatchingWriter writer = client.writer(SPANS, SpanBatches.SCHEMA,
                        new BatchingWriter.Settings(BATCH, 16L << 20, Duration.ofHours(1)))) {
                    Future<Integer> writes = appender.submit(() -> {
                        int batches = 0;
                        while (writing.get()) {
                            try (VectorSchemaRoot rows = SpanBatches.batch(client.allocator(), batches * 10L, BATCH, start, 1_000L)) {
                                writer.append(rows);
                            }
                            batches++;
                        }
                        return batches;
                    });
                    TestCluster.await(Duration.ofSeconds(30), () -> writer.responses().size() >= 5, "writes through the first node");

                    first.close();
                    firstClosed = true;
                    int beforeClose = writer.responses().size();
                    TestCluster.await(Duration.ofSeconds(60), () -> writes.isDone() || writer.responses().size() >= beforeClose + 10,
                            "writes to go on through the second node");
                    writing.set(false);
                    appended = writes.get(1, TimeUnit.MINUTES);
                    assertTrue(writer.responses().size() >= beforeClose + 10, "writes went on: " + writer.responses().size());
                }
                StoredSpans stored = StoredSpans.of(client, SPANS);
                assertEquals((long) appended * BATCH, stored.rows(), "every appended row is stored");
                assertEquals(stored.rows(), stored.distinctIds(), "and none twice");
            }
        } finally {
            if (!firstClosed) {
                first.close();
            }
            appender.shutdownNow();
        }
    }
}
