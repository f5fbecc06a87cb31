package io.lakeshard.bench;

import io.lakeshard.api.v1.WriteResponse;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.server.LakeshardServer;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetId;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.TableSettings;
import io.lakeshard.storage.write.BatchWriter;
import io.lakeshard.testing.SpanBatches;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Ingest throughput through the API: the Java SDK writing to a server on loopback, in bulk and as concurrent small
 * writes, with acknowledgement latency; beside it, the raw speed of our Parquet writer on the same batches. Client and
 * server share this JVM and the machine's cores. Usage: {@code IngestBenchmark <work-dir>}.
 */
public final class IngestBenchmark {
    private static final String KEY = "bench-key";
    private static final int BULK_WRITES = 20;
    private static final int BULK_ROWS = 100_000;
    private static final int SMALL_ROWS = 1_000;
    private static final int SMALL_WRITERS = 8;
    private static final int SMALL_WRITES_PER_WRITER = 60;

    private IngestBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path dir = WorkDirectory.fresh(Path.of(args[0]).toAbsolutePath());
        long start = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now().minus(1, ChronoUnit.HOURS));
        System.out.printf("ingest benchmark: %d cores, JVM max heap %d MiB; client and server in one JVM%n%n",
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
        try (BufferAllocator allocator = new RootAllocator()) {
            List<VectorSchemaRoot> bulk = new ArrayList<>();
            for (int w = 0; w < BULK_WRITES; w++) {
                bulk.add(SpanBatches.batch(allocator, (long) w * BULK_ROWS / SpanBatches.SPANS_PER_TRACE, BULK_ROWS, start, 1_000L));
            }
            double bulkMiB = bulk.stream().mapToLong(b -> b.getFieldVectors().stream().mapToLong(ValueVector::getBufferSize).sum()).sum() / 1048576.0;
            long bulkRows = (long) BULK_WRITES * BULK_ROWS;

            // The raw writer: the same batches to Parquet files, no commit, no network.
            StorageRoot storage = StorageRoot.local(dir.resolve("raw"));
            DeltaTable raw = DeltaTable.create(storage, storage.tableUri(new DatasetId("bench", DatasetName.parse("raw.parquet.writer"))),
                    DatasetDefinition.of(SpanBatches.SCHEMA, List.of()).withEventTimeColumn("start_time"), TableSettings.defaults());
            BatchWriter writer = BatchWriter.forDefinition(raw.storage(), raw.root(), raw.snapshot().schema(), raw.definition(), allocator);
            writer.write(bulk.get(0), "warm-up", Instant.now());
            long rawStart = System.nanoTime();
            for (VectorSchemaRoot batch : bulk) {
                writer.write(batch, UUID.randomUUID().toString(), Instant.now());
            }
            report("raw Parquet writer (no commit, no network)", bulkRows, bulkMiB, System.nanoTime() - rawStart, null);

            try (LakeshardServer server = BenchServers.start(dir.resolve("server"), KEY, "");
                    LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
                client.register("obs.traces.bulk", SpanBatches.SCHEMA, List.of(), "start_time", null);
                client.register("obs.traces.small", SpanBatches.SCHEMA, List.of(), "start_time", null);
                client.write("obs.traces.bulk", bulk.get(0), "warm-up", 0);

                List<Double> bulkLatency = new ArrayList<>();
                long bulkStart = System.nanoTime();
                for (int w = 0; w < BULK_WRITES; w++) {
                    long t = System.nanoTime();
                    client.write("obs.traces.bulk", bulk.get(w), "bulk", w + 1);
                    bulkLatency.add((System.nanoTime() - t) / 1e6);
                }
                report("API, bulk: 100,000-row writes, 1 writer", bulkRows, bulkMiB, System.nanoTime() - bulkStart, bulkLatency);

                List<VectorSchemaRoot> small = new ArrayList<>();
                for (int i = 0; i < SMALL_WRITERS * SMALL_WRITES_PER_WRITER; i++) {
                    small.add(SpanBatches.batch(allocator, 10_000_000L + (long) i * SMALL_ROWS / SpanBatches.SPANS_PER_TRACE, SMALL_ROWS, start, 1_000L));
                }
                double smallMiB = small.stream().mapToLong(b -> b.getFieldVectors().stream().mapToLong(ValueVector::getBufferSize).sum()).sum() / 1048576.0;
                long versionBefore = client.describe("obs.traces.small").getVersion();
                List<Double> smallLatency = Collections.synchronizedList(new ArrayList<>());
                AtomicLong rows = new AtomicLong();
                ExecutorService pool = Executors.newFixedThreadPool(SMALL_WRITERS);
                long smallStart = System.nanoTime();
                List<Future<?>> writers = new ArrayList<>();
                for (int w = 0; w < SMALL_WRITERS; w++) {
                    int writerIndex = w;
                    writers.add(pool.submit(() -> {
                        for (int i = 0; i < SMALL_WRITES_PER_WRITER; i++) {
                            long t = System.nanoTime();
                            WriteResponse ack = client.write("obs.traces.small", small.get(writerIndex * SMALL_WRITES_PER_WRITER + i),
                                    "writer-" + writerIndex, i);
                            smallLatency.add((System.nanoTime() - t) / 1e6);
                            rows.addAndGet(ack.getRows());
                        }
                        return null;
                    }));
                }
                for (Future<?> future : writers) {
                    future.get();
                }
                long elapsed = System.nanoTime() - smallStart;
                pool.shutdown();
                report("API, 1,000-row writes, 8 concurrent writers", rows.get(), smallMiB, elapsed, smallLatency);
                long commits = client.describe("obs.traces.small").getVersion() - versionBefore;
                System.out.printf("  %d writes in %d commits (group commit), %d files%n", smallLatency.size(), commits,
                        client.describe("obs.traces.small").getFiles());
                small.forEach(VectorSchemaRoot::close);
            }
            bulk.forEach(VectorSchemaRoot::close);
        }
    }

    private static void report(String name, long rows, double mib, long nanos, List<Double> latencies) {
        double seconds = nanos / 1e9;
        System.out.printf("%-48s %,12.0f rows/s %8.1f MiB/s", name, rows / seconds, mib / seconds);
        if (latencies != null) {
            List<Double> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            System.out.printf("   ack p50 %.1f ms, p95 %.1f ms, p99 %.1f ms", percentile(sorted, 0.5), percentile(sorted, 0.95), percentile(sorted, 0.99));
        }
        System.out.println();
    }

    private static double percentile(List<Double> sorted, double p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }
}
