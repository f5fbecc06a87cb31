package io.lakeshard.bench;

import io.lakeshard.query.catalog.TableResolver;
import io.lakeshard.query.engine.EngineSettings;
import io.lakeshard.query.engine.QueryEngine;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetId;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.maintenance.Maintenance;
import io.lakeshard.storage.maintenance.MaintenanceMetrics;
import io.lakeshard.storage.snapshot.SnapshotCache;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.PendingAppend;
import io.lakeshard.storage.table.TableSettings;
import io.lakeshard.storage.table.TableSnapshot;
import io.lakeshard.storage.write.BatchWriter;
import io.lakeshard.storage.write.NewDataFile;
import io.lakeshard.testing.SpanBatches;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Query speed over generated spans written through the storage core: point lookup by trace id and the
 * tail-sampling aggregate, before and after optimize. Usage: {@code QueryBenchmark <rows> <data-dir>}.
 */
public final class QueryBenchmark {
    private static final int BATCH_ROWS = 200_000;
    private static final int DAYS = 7;

    private QueryBenchmark() {}

    public static void main(String[] args) throws Exception {
        long rows = Long.parseLong(args[0]);
        Path dataDir = Path.of(args[1]).toAbsolutePath();
        WorkDirectory.fresh(dataDir);
        StorageRoot storage = StorageRoot.local(dataDir.resolve("storage"));
        DatasetName name = DatasetName.parse("obs.traces.spans");
        DeltaTable table = DeltaTable.create(storage, storage.tableUri(new DatasetId("bench", name)),
                DatasetDefinition.of(SpanBatches.SCHEMA, List.of()).withEventTimeColumn("start_time"), TableSettings.defaults());
        long traces = rows / SpanBatches.SPANS_PER_TRACE;
        long start = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.parse("2026-11-01T00:00:00Z"));
        long spacing = DAYS * 86_400_000_000L / traces;
        System.out.printf("Lakeshard query benchmark: %,d spans (%,d traces over %d days), %d cores, JVM max heap %d MiB%n%n",
                rows, traces, DAYS, Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);

        try (BufferAllocator allocator = new RootAllocator()) {
            BatchWriter writer = BatchWriter.forDefinition(table.storage(), table.root(), table.snapshot().schema(),
                    table.definition(), allocator);
            long writeStart = System.nanoTime();
            long written = 0;
            for (long first = 0; first < traces; first += BATCH_ROWS / SpanBatches.SPANS_PER_TRACE) {
                int batchRows = (int) Math.min(BATCH_ROWS, (traces - first) * SpanBatches.SPANS_PER_TRACE);
                try (VectorSchemaRoot batch = SpanBatches.batch(allocator, first, batchRows, start, spacing)) {
                    List<NewDataFile> files = writer.write(batch, UUID.randomUUID().toString(), Instant.now());
                    table.appendGroup(List.of(new PendingAppend(files, new IdempotencyKey("bench", first))), table.latestVersion());
                }
                written += batchRows;
                if ((written / BATCH_ROWS) % 10 == 0) {
                    System.out.printf("  written %,d of %,d rows%n", written, rows);
                }
            }
            double writeSeconds = (System.nanoTime() - writeStart) / 1e9;
            TableSnapshot snapshot = table.snapshot();
            System.out.printf("%nwrite: %,d rows in %.1f s = %,.0f rows/s (generation included), %d files, %.1f MiB%n",
                    rows, writeSeconds, rows / writeSeconds, snapshot.files().size(), snapshot.sizeBytes() / 1048576.0);

            SnapshotCache cache = new SnapshotCache(table);
            TableResolver resolver = BenchQueries.oneTable(name, cache);
            EngineSettings settings = EngineSettings.defaults(dataDir.resolve("work"), List.of(dataDir.resolve("storage")));
            try (QueryEngine engine = new QueryEngine(settings, resolver, allocator);
                    QueryEngine scanning = new QueryEngine(settings.withStatsAnswers(false), resolver, allocator)) {
                System.out.printf("%n%-34s %10s %10s %8s%n", "query (before optimize)", "median ms", "p95 ms", "rows");
                runQueries(engine, scanning, cache, traces, start, spacing);
                MaintenanceMetrics optimize = new Maintenance(table, allocator).optimize();
                cache.refresh();
                System.out.printf("%noptimize: %d -> %d files in %.1f s%n", optimize.filesBefore(), optimize.filesAfter(),
                        optimize.duration().toMillis() / 1000.0);
                System.out.printf("%n%-34s %10s %10s %8s%n", "query (after optimize)", "median ms", "p95 ms", "rows");
                runQueries(engine, scanning, cache, traces, start, spacing);
            }
        }
        long rss = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
        System.out.printf("%nheap in use at the end: %d MiB%n", rss);
    }

    /** @param scanning an engine that scans what {@code engine} answers from the log's statistics */
    private static void runQueries(QueryEngine engine, QueryEngine scanning, SnapshotCache cache, long traces, long start,
            long spacing) throws Exception {
        String[] lookups = new String[20];
        for (int i = 0; i < lookups.length; i++) {
            lookups[i] = SpanBatches.traceId((traces / lookups.length) * i + 7);
        }
        int[] next = {0};
        long[] rowCount = {0};
        Stopwatch point = Stopwatch.time(3, 20, () -> rowCount[0] = BenchQueries.count(engine,
                "SELECT * FROM obs.traces.spans WHERE trace_id = '" + lookups[next[0]++ % lookups.length] + "'"));
        report("point lookup by trace_id", point, rowCount[0]);

        long windowStart = start + traces / 2 * spacing;
        long windowEnd = windowStart + 3_600_000_000L;
        String tail = """
                SELECT trace_id, bool_or(status_code = 2) AS has_error, max(duration_ms) AS max_duration,
                       count(*) AS spans, min(start_time) AS first_start, max(start_time) AS last_start
                FROM obs.traces.spans
                WHERE start_time >= %s AND start_time < %s
                GROUP BY trace_id
                HAVING max(start_time) < %s AND (bool_or(status_code = 2) OR max(duration_ms) >= 1000)
                """.formatted(ts(windowStart), ts(windowEnd), ts(windowEnd - 300_000_000L));
        Stopwatch sampling = Stopwatch.time(2, 10, () -> rowCount[0] = BenchQueries.count(engine, tail));
        report("tail-sampling aggregate, 1 h window", sampling, rowCount[0]);

        String count = "SELECT count(*) FROM obs.traces.spans";
        Stopwatch all = Stopwatch.time(2, 10, () -> rowCount[0] = BenchQueries.count(engine, count));
        report("count(*), from file statistics", all, rowCount[0]);
        Stopwatch scanned = Stopwatch.time(2, 10, () -> rowCount[0] = BenchQueries.count(scanning, count));
        report("count(*), scanned", scanned, rowCount[0]);
        String day = count + " WHERE _ls_partition_date = DATE '" + LocalDate.ofEpochDay(Math.floorDiv(windowStart, 86_400_000_000L)) + "'";
        Stopwatch oneDay = Stopwatch.time(2, 10, () -> rowCount[0] = BenchQueries.count(engine, day));
        report("count(*) of one day, statistics", oneDay, rowCount[0]);
        Stopwatch oneDayScanned = Stopwatch.time(2, 10, () -> rowCount[0] = BenchQueries.count(scanning, day));
        report("count(*) of one day, scanned", oneDayScanned, rowCount[0]);
        Stopwatch refresh = Stopwatch.time(2, 10, cache::refresh);
        report("log check, no new commits", refresh, 0);
    }

    private static void report(String name, Stopwatch stopwatch, long rows) {
        System.out.printf("%-34s %10.1f %10.1f %8d%n", name, stopwatch.median(), stopwatch.p95(), rows);
    }

    private static String ts(long micros) {
        return "TIMESTAMPTZ '" + Instant.EPOCH.plus(micros, ChronoUnit.MICROS).toString().replace('T', ' ').replace("Z", "+00") + "'";
    }
}
