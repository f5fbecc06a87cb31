package io.lakeshard.bench;

import io.lakeshard.query.cache.RemoteFileCache;
import io.lakeshard.query.catalog.TableResolver;
import io.lakeshard.query.engine.EngineSettings;
import io.lakeshard.query.engine.QueryEngine;
import io.lakeshard.storage.S3TestServer;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetId;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.snapshot.SnapshotCache;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.PendingAppend;
import io.lakeshard.storage.table.TableSettings;
import io.lakeshard.storage.table.TableSnapshot;
import io.lakeshard.storage.write.BatchWriter;
import io.lakeshard.testing.SpanBatches;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The same table on a local directory and in an S3 bucket (s3proxy on loopback, filesystem backend): small commits
 * as the table writer makes them, bulk ingest, and queries with a cold and a warm file cache. Loopback S3 has no
 * network latency, so the S3 column shows the protocol's cost (requests per commit, uploads, downloads), not a
 * region's round trips. Usage: {@code S3Benchmark <rows> <work-dir>}.
 */
public final class S3Benchmark {
    private static final int SMALL_COMMITS = 40;
    private static final int SMALL_ROWS = 100;
    private static final int BATCH_ROWS = 100_000;

    private S3Benchmark() {}

    public static void main(String[] args) throws Exception {
        long rows = Long.parseLong(args[0]);
        Path work = Path.of(args[1]).toAbsolutePath();
        WorkDirectory.fresh(work);
        System.out.printf("Lakeshard S3 benchmark: %,d spans, %d cores, JVM max heap %d MiB%n", rows,
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
        try (S3TestServer s3 = S3TestServer.start(work.resolve("s3")); BufferAllocator allocator = new RootAllocator()) {
            StorageRoot local = StorageRoot.local(work.resolve("local"));
            StorageRoot bucket = StorageRoot.of(URI.create("s3a://" + s3.createBucket() + "/tables"), s3.settings().hadoopSettings());
            Result onDisk = run("local disk", local, rows, work, allocator);
            Result onS3 = run("S3 (s3proxy)", bucket, rows, work, allocator);
            System.out.printf("%n%-44s %14s %14s%n", "", "local disk", "S3 (s3proxy)");
            row("small commit (100 rows), median ms", onDisk.smallCommit.median(), onS3.smallCommit.median());
            row("small commit (100 rows), p95 ms", onDisk.smallCommit.p95(), onS3.smallCommit.p95());
            row("bulk ingest, rows/s", onDisk.bulkRowsPerSecond, onS3.bulkRowsPerSecond);
            row("data files", onDisk.files, onS3.files);
            row("fetch every data file, one at a time, ms", Double.NaN, onS3.serialFetchMillis);
            row("fetch every data file, 8 at a time, ms", Double.NaN, onS3.parallelFetchMillis);
            row("trace lookup, cold cache, ms", onDisk.lookupCold, onS3.lookupCold);
            row("trace lookup, warm cache, median ms", onDisk.lookupWarm.median(), onS3.lookupWarm.median());
            row("count by service, warm cache, median ms", onDisk.aggregateWarm.median(), onS3.aggregateWarm.median());
            row("log check, no new commits, median ms", onDisk.logCheck.median(), onS3.logCheck.median());
        }
    }

    private record Result(Stopwatch smallCommit, double bulkRowsPerSecond, double files, double serialFetchMillis,
            double parallelFetchMillis, double lookupCold, Stopwatch lookupWarm, Stopwatch aggregateWarm, Stopwatch logCheck) {}

    private static Result run(String label, StorageRoot storage, long rows, Path work, BufferAllocator allocator) throws Exception {
        System.out.printf("%n%s: %s%n", label, storage.uri());
        DatasetName name = DatasetName.parse("obs.traces.spans");
        DeltaTable table = DeltaTable.create(storage, storage.tableUri(new DatasetId("bench", name)),
                DatasetDefinition.of(SpanBatches.SCHEMA, List.of()).withEventTimeColumn("start_time"), TableSettings.defaults());
        long start = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.parse("2026-11-01T00:00:00Z"));
        BatchWriter writer = BatchWriter.forDefinition(table.storage(), table.root(), table.snapshot().schema(),
                table.definition(), allocator);

        // As the table writer commits a small write: its file, then one commit at the version it expects.
        long[] trace = {0};
        Stopwatch small = Stopwatch.time(3, SMALL_COMMITS, () -> {
            try (VectorSchemaRoot batch = SpanBatches.batch(allocator, trace[0], SMALL_ROWS, start, 1_000_000L)) {
                table.appendGroup(List.of(new PendingAppend(writer.write(batch, UUID.randomUUID().toString(), Instant.now()),
                        new IdempotencyKey("small", trace[0]))), table.latestVersion());
            }
            trace[0] += SMALL_ROWS / SpanBatches.SPANS_PER_TRACE;
        });

        long traces = rows / SpanBatches.SPANS_PER_TRACE;
        long bulkStart = System.nanoTime();
        for (long first = 0; first < traces; first += BATCH_ROWS / SpanBatches.SPANS_PER_TRACE) {
            int batchRows = (int) Math.min(BATCH_ROWS, (traces - first) * SpanBatches.SPANS_PER_TRACE);
            try (VectorSchemaRoot batch = SpanBatches.batch(allocator, 1_000_000 + first, batchRows, start, 10_000L)) {
                table.appendGroup(List.of(new PendingAppend(writer.write(batch, UUID.randomUUID().toString(), Instant.now()),
                        new IdempotencyKey("bulk", first))), table.latestVersion());
            }
        }
        double bulkRowsPerSecond = rows / ((System.nanoTime() - bulkStart) / 1e9);
        TableSnapshot snapshot = table.snapshot();

        double serial = Double.NaN;
        double parallel = Double.NaN;
        Optional<RemoteFileCache> cache = Optional.empty();
        if (!storage.isLocal()) {
            List<URI> files = snapshot.files().stream().map(file -> file.uri(table.root())).toList();
            RemoteFileCache scratch = new RemoteFileCache(work.resolve("fetch-serial"), Long.MAX_VALUE, storage);
            long t0 = System.nanoTime();
            try (RemoteFileCache.Lease lease = scratch.lease()) {
                files.forEach(lease::localPath);
            }
            serial = (System.nanoTime() - t0) / 1e6;
            scratch = new RemoteFileCache(work.resolve("fetch-parallel"), Long.MAX_VALUE, storage);
            t0 = System.nanoTime();
            try (RemoteFileCache.Lease lease = scratch.lease()) {
                lease.localPaths(files);
            }
            parallel = (System.nanoTime() - t0) / 1e6;
            cache = Optional.of(new RemoteFileCache(work.resolve("query-cache"), 10L << 30, storage));
        }

        SnapshotCache snapshots = new SnapshotCache(table);
        TableResolver resolver = BenchQueries.oneTable(name, snapshots);
        List<Path> readable = storage.isLocal() ? List.of(Path.of(storage.uri())) : List.of();
        EngineSettings settings = EngineSettings.defaults(work.resolve("engine-" + UUID.randomUUID()), readable);
        try (QueryEngine engine = new QueryEngine(settings, resolver, allocator, cache)) {
            String lookup = "SELECT * FROM obs.traces.spans WHERE trace_id = '" + SpanBatches.traceId(1_000_000 + traces / 2) + "'";
            long t0 = System.nanoTime();
            BenchQueries.count(engine, lookup);
            double cold = (System.nanoTime() - t0) / 1e6;
            Stopwatch warm = Stopwatch.time(3, 20, () -> BenchQueries.count(engine, lookup));
            Stopwatch aggregate = Stopwatch.time(2, 10, () -> BenchQueries.count(engine,
                    "SELECT service_name, count(*) FROM obs.traces.spans GROUP BY 1"));
            Stopwatch logCheck = Stopwatch.time(2, 10, snapshots::refresh);
            return new Result(small, bulkRowsPerSecond, snapshot.files().size(), serial, parallel, cold, warm, aggregate, logCheck);
        }
    }

    private static void row(String name, double local, double s3) {
        System.out.printf("%-44s %14s %14s%n", name, format(local), format(s3));
    }

    private static String format(double value) {
        if (Double.isNaN(value)) {
            return "-";
        }
        return value >= 1000 ? String.format("%,.0f", value) : String.format("%.1f", value);
    }
}
