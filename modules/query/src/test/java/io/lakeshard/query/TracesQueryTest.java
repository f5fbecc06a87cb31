package io.lakeshard.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.query.engine.EngineSettings;
import io.lakeshard.query.engine.QueryEngine;
import io.lakeshard.query.engine.QueryResult;
import io.lakeshard.storage.TestTables;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.WriterOptions;
import io.lakeshard.storage.maintenance.Maintenance;
import io.lakeshard.storage.maintenance.Vacuum;
import io.lakeshard.storage.scan.ColumnPredicate;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.testing.SpanBatches;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Span queries: tail sampling, snapshot isolation under concurrent maintenance, timeouts, cancellation, time travel. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TracesQueryTest {
    private static final int TRACES = 600;
    private static final long SPACING_MICROS = 10_000_000L;

    private BufferAllocator allocator;
    private Datasets datasets;
    private QueryEngine engine;
    private DeltaTable spans;
    private long start;

    @BeforeAll
    void setUp(@TempDir Path dir) throws Exception {
        allocator = new RootAllocator();
        datasets = new Datasets(dir.resolve("storage"));
        engine = new QueryEngine(EngineSettings.defaults(dir.resolve("work"), List.of(dir.resolve("storage")))
                .withMemoryLimit("256MB").withThreads(2).withBatchRows(256), datasets, allocator);
        spans = datasets.create("acme", "obs.traces.spans", DatasetDefinition.of(SpanBatches.SCHEMA, List.of())
                .withEventTimeColumn("start_time")
                .withWriterOptions(WriterOptions.defaults().withSortColumns(List.of("start_time"))));
        start = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.parse("2026-11-20T00:00:00Z"));
        int tracesPerBatch = 100;
        for (int b = 0; b < TRACES / tracesPerBatch; b++) {
            try (VectorSchemaRoot batch = SpanBatches.batch(allocator, (long) b * tracesPerBatch,
                    tracesPerBatch * SpanBatches.SPANS_PER_TRACE, start, SPACING_MICROS)) {
                TestTables.commit(spans, TestTables.write(spans, allocator, batch), new IdempotencyKey("collector", b));
            }
        }
    }

    @AfterAll
    void tearDown() throws Exception {
        engine.close();
        allocator.close();
    }

    private List<Map<String, Object>> run(String sql) {
        List<Map<String, Object>> rows = new ArrayList<>();
        try (QueryResult result = engine.execute(QueryRequest.of("q-" + System.nanoTime(), "acme", sql))) {
            while (result.next()) {
                rows.addAll(TestTables.rows(result.batch(), false));
            }
        }
        return rows;
    }

    private static String ts(long micros) {
        return "TIMESTAMPTZ '" + Instant.EPOCH.plus(micros, ChronoUnit.MICROS).toString().replace('T', ' ').replace("Z", "+00") + "'";
    }

    @Test
    void tailSamplingSelectsTheTracesWithErrorsOrSlowSpans() {
        long windowStart = start + 100 * SPACING_MICROS;
        long windowEnd = start + 500 * SPACING_MICROS;
        long inactiveSince = start + 450 * SPACING_MICROS;
        List<Map<String, Object>> rows = run("""
                SELECT trace_id,
                       bool_or(status_code = 2) AS has_error,
                       max(duration_ms) AS max_duration,
                       count(*) AS span_count,
                       min(start_time) AS first_start,
                       max(start_time) AS last_start
                FROM obs.traces.spans
                WHERE start_time >= %s AND start_time < %s
                GROUP BY trace_id
                HAVING max(start_time) < %s AND (bool_or(status_code = 2) OR max(duration_ms) >= 1000)
                ORDER BY first_start
                """.formatted(ts(windowStart), ts(windowEnd), ts(inactiveSince)));
        Set<String> expected = new TreeSet<>();
        for (long trace = 100; trace < 450; trace++) {
            boolean error = false;
            long maxDuration = 0;
            for (int span = 0; span < SpanBatches.SPANS_PER_TRACE; span++) {
                error |= SpanBatches.isError(trace, span);
                maxDuration = Math.max(maxDuration, SpanBatches.durationMs(trace, span));
            }
            if (error || maxDuration >= 1000) {
                expected.add(SpanBatches.traceId(trace));
            }
        }
        Set<String> actual = new TreeSet<>();
        for (Map<String, Object> row : rows) {
            actual.add((String) row.get("trace_id"));
            assertEquals((long) SpanBatches.SPANS_PER_TRACE, row.get("span_count"));
        }
        assertTrue(expected.size() > 5, "the data has sampled traces: " + expected.size());
        assertEquals(expected, actual);
    }

    @Test
    void aPointLookupByTraceIdFindsTheWholeTrace() {
        List<Map<String, Object>> rows = run("SELECT span_id FROM obs.traces.spans WHERE trace_id = '"
                + SpanBatches.traceId(321) + "' ORDER BY span_id");
        assertEquals(SpanBatches.SPANS_PER_TRACE, rows.size());
    }

    @Test
    void aPinnedQueryIsUnaffectedByCommitsOptimizeAndVacuumWhileItStreams() throws Exception {
        DeltaTable table = datasets.create("acme", "obs.traces.isolated", DatasetDefinition.of(SpanBatches.SCHEMA, List.of("service_name")));
        for (int b = 0; b < 4; b++) {
            try (VectorSchemaRoot batch = SpanBatches.batch(allocator, b * 100L, 800, start, SPACING_MICROS)) {
                TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", b));
            }
        }
        long pinnedVersion = table.latestVersion();
        Set<String> seen = new HashSet<>();
        try (QueryResult result = engine.execute(QueryRequest.of("iso", "acme", "SELECT span_id FROM obs.traces.isolated"))) {
            assertTrue(result.next());
            TestTables.rows(result.batch(), false).forEach(row -> seen.add((String) row.get("span_id")));
            try (VectorSchemaRoot batch = SpanBatches.batch(allocator, 10_000, 800, start, SPACING_MICROS)) {
                TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", 99));
            }
            Maintenance maintenance = new Maintenance(table, allocator);
            maintenance.optimize();
            maintenance.deleteRows(List.of(ColumnPredicate.lt("duration_ms", 500L)));
            assertEquals(List.of(), new Vacuum(table, Clock.systemUTC()).run(Duration.ofHours(1), false, false).files(),
                    "within retention, vacuum keeps the pinned version's files");
            while (result.next()) {
                TestTables.rows(result.batch(), false).forEach(row -> seen.add((String) row.get("span_id")));
            }
            assertEquals(pinnedVersion, result.versions().get(DatasetName.parse("obs.traces.isolated")));
        }
        assertEquals(3200, seen.size(), "exactly the rows of the pinned version");
        assertTrue(table.snapshot().numRecords() < 4000, "the table itself moved on");
    }

    private static final String SLOW = "SELECT count(*) FROM obs.traces.spans a, obs.traces.spans b, obs.traces.spans c WHERE a.duration_ms + b.duration_ms + c.duration_ms = -1";

    @Test
    void aQueryPastItsTimeoutStopsAndFreesItsMemory() {
        long before = engine.memoryUsageBytes();
        long started = System.nanoTime();
        QueryRequest request = QueryRequest.of("slow-1", "acme", SLOW).withTimeout(Duration.ofMillis(500));
        assertThrows(QueryTimeoutException.class, () -> {
            try (QueryResult result = engine.execute(request)) {
                while (result.next()) {
                    // drain
                }
            }
        });
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(30), "stopped, not run to the end");
        assertEquals(0, engine.runningQueries());
        assertTrue(engine.memoryUsageBytes() <= before + (16 << 20), "memory back: " + before + " -> " + engine.memoryUsageBytes());
    }

    @Test
    void aQueryCanBeCancelledById() throws Exception {
        CompletableFuture<Throwable> outcome = CompletableFuture.supplyAsync(() -> {
            try (QueryResult result = engine.execute(QueryRequest.of("slow-2", "acme", SLOW))) {
                while (result.next()) {
                    // drain
                }
                return null;
            } catch (RuntimeException e) {
                return e;
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            // Checked just before the owner's cancel that succeeds, so at least once while the query runs.
            assertFalse(engine.cancel("globex", "slow-2"), "another tenant cannot cancel acme's query");
            if (engine.cancel("acme", "slow-2")) {
                break;
            }
            assertTrue(System.nanoTime() < deadline, "the query never started");
            assertFalse(outcome.isDone(), "the query ended before it could be cancelled: " + outcome.getNow(null));
            Thread.onSpinWait();
        }
        Throwable error = outcome.get(30, TimeUnit.SECONDS);
        assertTrue(error instanceof QueryTimeoutException, String.valueOf(error));
        assertEquals(0, engine.runningQueries());
    }

    @Test
    void aQueryCancelledWhileItWasPlannedStartsCancelled() {
        // The caller's cancel came before the engine knew the query: by id it finds nothing, only the caller's mark.
        assertFalse(engine.cancel("acme", "slow-3"));
        long started = System.nanoTime();
        QueryTimeoutException stopped = assertThrows(QueryTimeoutException.class, () -> {
            try (QueryResult result = engine.execute(QueryRequest.of("slow-3", "acme", SLOW), () -> true)) {
                while (result.next()) {
                    // drain
                }
            }
        });
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(30), "stopped, not run to the end: " + stopped);
        assertEquals(0, engine.runningQueries());
    }

    @Test
    void tablesCanBeReadAsOfAVersion() {
        long rowsAtOne = SpanBatches.SPANS_PER_TRACE * 100L;
        assertEquals(rowsAtOne, run("SELECT count(*) AS n FROM obs.traces.spans AT (VERSION => 1)").get(0).get("n"));
        QueryRequest request = QueryRequest.of("tt", "acme", "SELECT count(*) AS n FROM obs.traces.spans")
                .withTimeTravel(Map.of(DatasetName.parse("obs.traces.spans"), TimeTravel.atVersion(2)));
        List<Map<String, Object>> rows = new ArrayList<>();
        try (QueryResult result = engine.execute(request)) {
            while (result.next()) {
                rows.addAll(TestTables.rows(result.batch(), false));
            }
            assertEquals(2L, result.versions().get(DatasetName.parse("obs.traces.spans")));
        }
        assertEquals(2 * rowsAtOne, rows.get(0).get("n"));
        VersionNotAvailableException missing = assertThrows(VersionNotAvailableException.class,
                () -> run("SELECT count(*) FROM obs.traces.spans AT (VERSION => 999)"));
        assertTrue(missing.getMessage().contains("no version 999"), missing.getMessage());
        Instant third = Instant.ofEpochMilli(spans.snapshotAt(3).timestampMillis());
        String thirdText = third.toString().replace('T', ' ').replace("Z", "+00");
        assertEquals(3 * rowsAtOne,
                run("SELECT count(*) AS n FROM obs.traces.spans AT (TIMESTAMP => TIMESTAMPTZ '" + thirdText + "')").get(0).get("n"),
                "as of version 3's commit time: version 3");
        QueryRequest asOf = QueryRequest.of("tt2", "acme", "SELECT count(*) AS n FROM obs.traces.spans")
                .withTimeTravel(Map.of(DatasetName.parse("obs.traces.spans"), TimeTravel.asOf(third)));
        try (QueryResult result = engine.execute(asOf)) {
            assertTrue(result.next());
            assertEquals(3L, result.versions().get(DatasetName.parse("obs.traces.spans")));
        }
        for (String outside : List.of("2001-01-01 00:00:00+00", "2999-01-01 00:00:00+00")) {
            // Before the table existed, or after its last commit (Delta's rule: a read must be repeatable).
            VersionNotAvailableException rejected = assertThrows(VersionNotAvailableException.class, () -> run(
                    "SELECT count(*) FROM obs.traces.spans AT (TIMESTAMP => TIMESTAMPTZ '" + outside + "')"));
            assertTrue(rejected.getMessage().contains("has no version at"), rejected.getMessage());
        }
        Map<String, Object> now = new TreeMap<>(run("SELECT count(*) AS n FROM obs.traces.spans").get(0));
        assertEquals(TRACES * (long) SpanBatches.SPANS_PER_TRACE, now.get("n"));
    }
}
