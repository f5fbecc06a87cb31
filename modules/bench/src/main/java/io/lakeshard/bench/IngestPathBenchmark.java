package io.lakeshard.bench;

import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import com.typesafe.config.ConfigFactory;
import io.lakeshard.cluster.node.LakeshardNode;
import io.lakeshard.cluster.registry.DatasetRegistry;
import io.lakeshard.cluster.registry.DatasetSpec;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import io.lakeshard.cluster.table.IngestRouter;
import io.lakeshard.cluster.table.TableEntity;
import io.lakeshard.cluster.table.TableRef;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.testing.SpanBatches;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Where the inline-write threshold belongs: the acknowledgement latency of one write, sent as Arrow IPC for the
 * table's writer to encode, or encoded to Parquet by the receiving node with only file metadata sent, for growing
 * batch sizes. Three nodes in one JVM; writes go round-robin through them, so two in three cross the network to the
 * writer. Usage: {@code IngestPathBenchmark <work-dir>}.
 */
public final class IngestPathBenchmark {
    private static final int[] BATCH_ROWS = {100, 500, 1_000, 1_500, 10_000, 100_000};
    private static final int CONCURRENT_WRITES = 64;

    private IngestPathBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]).toAbsolutePath();
        WorkDirectory.fresh(dir);
        int[] ports = {LoopbackPorts.free(), LoopbackPorts.free(), LoopbackPorts.free()};
        List<LakeshardNode> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < ports.length; i++) {
                nodes.add(LakeshardNode.start(ConfigFactory.parseString("""
                        akka.remote.artery.canonical.port = %d
                        akka.cluster.seed-nodes = ["akka://lakeshard@127.0.0.1:%d"]
                        akka.cluster.jmx.multi-mbeans-in-same-jvm = on
                        akka.loglevel = WARNING
                        lakeshard.data-dir = "%s"
                        lakeshard.storage.root = "%s"
                        lakeshard.journal.h2-path = "%s"
                        lakeshard.management.enabled = false
                        lakeshard.query.memory-limit = "256MB"
                        """.formatted(ports[i], ports[0], dir.resolve("node-" + i), dir.resolve("storage"), dir.resolve("journal")))));
            }
            waitForCluster(nodes);
            DatasetName name = DatasetName.parse("obs.traces.spans");
            Object reply = nodes.get(0).registry().register("bench", name, DatasetSpec.of(DatasetDefinition.of(SpanBatches.SCHEMA, List.of())
                    .withEventTimeColumn("start_time")), MaintenancePolicy.defaults()).toCompletableFuture().get(60, TimeUnit.SECONDS);
            if (!(reply instanceof DatasetRegistry.Accepted)) {
                throw new IllegalStateException("registration failed: " + reply);
            }
            System.out.printf("ingest path: ack latency of one write, 3 nodes in one JVM, %d cores%n%n", Runtime.getRuntime().availableProcessors());
            System.out.printf("%9s %9s | %-28s | %-28s%n", "rows", "Arrow MiB", "inline: median / p95 ms", "bulk: median / p95 ms");
            long sequence = 0;
            for (int rows : BATCH_ROWS) {
                int runs = rows >= 50_000 ? 6 : 15;
                Stopwatch[] byPath = new Stopwatch[2];
                double mib = 0;
                for (int path = 0; path < 2; path++) {
                    if (path == 0 && rows > 1_500) {
                        continue;
                    }
                    long threshold = path == 0 ? Long.MAX_VALUE : -1;
                    List<IngestRouter> routers = nodes.stream().map(node -> new IngestRouter(node.system(), node.registry(),
                            node.snapshots(), node.tables(), node.allocator(), threshold, Duration.ofSeconds(60), Duration.ofSeconds(1), Clock.systemUTC())).toList();
                    int[] next = {0};
                    long[] key = {sequence};
                    double[] size = {0};
                    byPath[path] = Stopwatch.time(2, runs, () -> {
                        try (VectorSchemaRoot batch = SpanBatches.batch(nodes.get(0).allocator(), key[0] * 1_000_000L, rows, 0, 1_000_000L)) {
                            size[0] = batch.getFieldVectors().stream().mapToLong(v -> v.getBufferSize()).sum() / 1048576.0;
                            Object ack = routers.get(next[0]++ % routers.size()).write("bench", name, batch,
                                    new IdempotencyKey("bench-" + UUID.randomUUID(), key[0]++)).toCompletableFuture().get(120, TimeUnit.SECONDS);
                            if (!(ack instanceof TableEntity.WriteAck)) {
                                throw new IllegalStateException("write failed: " + ack);
                            }
                        }
                    });
                    sequence = key[0];
                    mib = size[0];
                }
                System.out.printf("%9d %9.2f | %-28s | %10.1f / %-15.1f%n", rows, mib,
                        byPath[0] == null ? "over the frame limit" : String.format("%10.1f / %-15.1f", byPath[0].median(), byPath[0].p95()),
                        byPath[1].median(), byPath[1].p95());
            }
            System.out.printf("%n%d concurrent writes of 100 rows, one app id each:%n", CONCURRENT_WRITES);
            System.out.printf("%-8s %10s %8s %8s%n", "path", "wall ms", "commits", "files");
            for (int path = 0; path < 2; path++) {
                long threshold = path == 0 ? Long.MAX_VALUE : -1;
                List<IngestRouter> routers = nodes.stream().map(node -> new IngestRouter(node.system(), node.registry(),
                        node.snapshots(), node.tables(), node.allocator(), threshold, Duration.ofSeconds(60), Duration.ofSeconds(1), Clock.systemUTC())).toList();
                DeltaTable table = table(nodes.get(0), name);
                long versionBefore = table.latestVersion();
                int filesBefore = table.snapshot().files().size();
                List<VectorSchemaRoot> batches = new ArrayList<>();
                List<CompletableFuture<TableEntity.WriteReply>> acks = new ArrayList<>();
                long start = System.nanoTime();
                for (int w = 0; w < CONCURRENT_WRITES; w++) {
                    // Recent spans of distinct traces: all in today's partition, as concurrent collectors send them.
                    VectorSchemaRoot batch = SpanBatches.batch(nodes.get(0).allocator(), (sequence + w) * 100L, 100,
                            ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now()), 10L);
                    batches.add(batch);
                    acks.add(routers.get(w % routers.size()).write("bench", name, batch,
                            new IdempotencyKey("concurrent-" + UUID.randomUUID(), 0)).toCompletableFuture());
                }
                CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
                long wall = (System.nanoTime() - start) / 1_000_000;
                batches.forEach(VectorSchemaRoot::close);
                sequence += CONCURRENT_WRITES;
                System.out.printf("%-8s %10d %8d %8d%n", path == 0 ? "inline" : "bulk", wall,
                        table.latestVersion() - versionBefore, table.snapshot().files().size() - filesBefore);
            }
        } finally {
            for (LakeshardNode node : nodes) {
                node.close();
            }
        }
    }

    private static DeltaTable table(LakeshardNode node, DatasetName name) throws Exception {
        var record = node.registry().get("bench", name).toCompletableFuture().get(30, TimeUnit.SECONDS).orElseThrow();
        var ref = new TableRef("bench", name, record.incarnation());
        return DeltaTable.at(node.tables().storage(), ref.location(node.tables().storage()));
    }

    private static void waitForCluster(List<LakeshardNode> nodes) throws InterruptedException {
        Await.until(() -> Cluster.get(nodes.get(0).system()).state().getMembers().spliterator().estimateSize() >= nodes.size()
                && StreamSupport.stream(Cluster.get(nodes.get(0).system()).state().getMembers().spliterator(), false)
                .allMatch(m -> m.status() == MemberStatus.up()), Duration.ofMinutes(1), Duration.ofMillis(50), "the cluster did not form");
    }
}
