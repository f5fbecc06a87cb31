package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.client.DecisionStream;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.QueryResults;
import io.lakeshard.client.sampling.Decision;
import io.lakeshard.client.sampling.ExportOption;
import io.lakeshard.client.sampling.Sampler;
import io.lakeshard.client.sampling.SamplerOptions;
import io.lakeshard.client.sampling.SamplingPolicyOption;
import io.lakeshard.client.traces.Trace;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.traces.SpanSchema;
import io.lakeshard.traces.query.TraceId;
import io.lakeshard.traces.sampling.Decider;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sampler on a real server, fed by the OpenTelemetry Java SDK's OTLP exporter: every trace decided once with the
 * policy it should have, late spans following their trace's decision, the kept traces delivered over OTLP/HTTP to
 * another tenant of the same server (and none of the dropped ones), and the decisions read from a cursor, resumed.
 */
class SamplingEndToEndTest {
    private static final String ACME_KEY = "acme-sampling-key";
    private static final String GLOBEX_KEY = "globex-receiver-key";
    private static final DatasetName SPANS = SpanSchema.DEFAULT_DATASET;
    private static final DatasetName DECISIONS = DatasetName.parse("otel.traces.spans_sampled_checkout");
    private static final Duration INACTIVITY = Duration.ofSeconds(1);

    private LakeshardServer server;
    private LakeshardClient acme;
    private LakeshardClient globex;

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        server = TestServers.start(dir, """
                lakeshard.sampling { tick-interval = 200ms, commit-slack = 300ms, retry-backoff-min = 200ms }
                lakeshard.server.api-keys = [
                  { tenant = "acme", sha256 = "%s" },
                  { tenant = "globex", sha256 = "%s" }
                ]
                """.formatted(ApiKeys.sha256(ACME_KEY), ApiKeys.sha256(GLOBEX_KEY)));
        acme = LakeshardClient.connect("127.0.0.1", server.port(), ACME_KEY);
        globex = LakeshardClient.connect("127.0.0.1", server.port(), GLOBEX_KEY);
    }

    @AfterEach
    void stop() throws Exception {
        acme.close();
        globex.close();
        server.close();
    }

    @Test
    void everyTraceIsDecidedOnceAndTheKeptOnesAreDeliveredWithTheirLateSpans() throws Exception {
        InMemorySpanExporter recorded = InMemorySpanExporter.create();
        Map<String, String> expected = new HashMap<>();
        String lateKept;
        String lateDropped = null;
        String large;
        List<SpanData> spans;
        List<SpanData> late;
        SpanData startedLongAgo;
        try (SdkTracerProvider provider = SdkTraces.provider("checkout", recorded)) {
            Tracer tracer = provider.get("io.lakeshard.test");
            // The sampler needs its trace dataset: the first export makes it. The other traces begin after the sampler
            // does, so their spans' start times are inside its first windows whatever making it took.
            String first = trace(tracer, 3, span -> span.setAttribute("http.route", "/cart"));
            expected.put(first, Decider.inPercentage(new TraceId(first), 25) ? "percentage:25" : null);
            List<SpanData> firstSpans = List.copyOf(recorded.getFinishedSpanItems());
            recorded.reset();
            export(firstSpans);
            acme.createSampler(SamplerOptions.named("checkout").withInactivity(INACTIVITY).withMaxTraceDuration(Duration.ofSeconds(6))
                    .withPolicies(SamplingPolicyOption.keepErrors(), SamplingPolicyOption.keepSlowSpans(Duration.ofSeconds(2)),
                            SamplingPolicyOption.keepLargeTraces(20), SamplingPolicyOption.keepSpanAttribute("http.route", "/checkout"),
                            SamplingPolicyOption.keepPercentage(25))
                    // The second receiver: another tenant of the same server, over OTLP/HTTP.
                    .withExport(ExportOption.http("http://127.0.0.1:" + server.port() + "/v1/traces")
                            .withHeader("authorization", "Bearer " + GLOBEX_KEY)));

            lateKept = trace(tracer, 3, span -> span.setStatus(StatusCode.ERROR, "card declined"));
            expected.put(lateKept, "errors");
            expected.put(slowTrace(tracer), "slow_span>2s");
            large = trace(tracer, 25, span -> {});
            expected.put(large, "large_trace>20");
            expected.put(trace(tracer, 2, span -> span.setAttribute("http.route", "/checkout")), "span_attribute:http.route=/checkout");
            for (int i = 0; i < 40; i++) {
                String id = trace(tracer, 3, span -> span.setAttribute("http.route", "/cart"));
                boolean kept = Decider.inPercentage(new TraceId(id), 25);
                expected.put(id, kept ? "percentage:25" : null);
                if (!kept && lateDropped == null) {
                    lateDropped = id;
                }
            }
            List<SpanData> rest = List.copyOf(recorded.getFinishedSpanItems());
            // One child of a kept trace (not the one with the error) and one of a dropped trace are held back, to
            // arrive after the decisions; one child of another kept trace, to arrive once its start is before every
            // later tick's window.
            late = List.of(firstChild(rest, lateKept), firstChild(rest, lateDropped));
            startedLongAgo = firstChild(rest, large);
            export(rest.stream().filter(span -> !late.contains(span) && span != startedLongAgo).toList());
            spans = new ArrayList<>(firstSpans);
            spans.addAll(rest);
        }
        String dropped = lateDropped;

        await("every trace decided", () -> count("SELECT count(*) FROM " + DECISIONS + " WHERE NOT late") == expected.size());
        Map<String, String> decided = new HashMap<>();
        try (QueryResults results = acme.query("SELECT lower(hex(trace_id)) AS id, keep, policy, count(*) OVER (PARTITION BY trace_id) AS n FROM "
                + DECISIONS + " WHERE NOT late")) {
            for (Iterator<Map<String, Object>> rows = results.rows(); rows.hasNext(); ) {
                Map<String, Object> row = rows.next();
                assertEquals(1L, row.get("n"), "one decision for trace " + row.get("id"));
                decided.put(row.get("id").toString(), (Boolean) row.get("keep") ? row.get("policy").toString() : null);
            }
        }
        assertEquals(expected, decided, "each trace decided by the policy that should have decided it");

        export(late);
        await("the kept trace's late span found", () -> count("SELECT count(*) FROM " + DECISIONS + " WHERE late AND trace_id = from_hex('"
                + lateKept + "')") == 1);
        // A window starts maxTraceDuration + inactivity (7 s) before the sampler's decided-through time.
        Instant started = Instant.ofEpochSecond(0, startedLongAgo.getStartEpochNanos());
        await("the windows past the held-back span's start", () -> sampler().decidedThrough().orElseThrow()
                .isAfter(started.plusSeconds(8)));
        Instant lateSent = Instant.now();
        export(List.of(startedLongAgo));
        await("the late span that started before the window found", () -> count("SELECT count(*) FROM " + DECISIONS
                + " WHERE late AND trace_id = from_hex('" + large + "')") == 1);
        // Once a tick has judged readiness past the late spans, the dropped trace's would have been decided again by now.
        await("a tick past the late spans' inactivity", () -> sampler().decidedThrough().orElseThrow()
                .isAfter(lateSent.plus(INACTIVITY).plusSeconds(1)));
        assertEquals(expected.size(), count("SELECT count(*) FROM " + DECISIONS + " WHERE NOT late"), "no trace decided twice");
        assertEquals(0, count("SELECT count(*) FROM " + DECISIONS + " WHERE late AND trace_id = from_hex('" + dropped + "')"));

        Set<String> kept = new HashSet<>();
        expected.forEach((id, policy) -> {
            if (policy != null) {
                kept.add(id);
            }
        });
        long keptSpans = spans.stream().filter(span -> kept.contains(span.getTraceId())).count();
        // Every row written so far confirmed as exported (the sampler's own count of rows may not have reached the last).
        long written = count("SELECT max(sequence) FROM " + DECISIONS);
        await("the kept traces delivered", () -> sampler().exportedThrough() >= written);
        // The receiver's trace queries read a kept trace whole, the spans that arrived after its decision included.
        for (SpanData lateSpan : List.of(late.get(0), startedLongAgo)) {
            Trace delivered = globex.getTrace(lateSpan.getTraceId());
            assertEquals(spans.stream().filter(span -> span.getTraceId().equals(lateSpan.getTraceId())).count(), delivered.spans().size());
            assertTrue(delivered.spans().stream().anyMatch(span -> span.spanId().equals(lateSpan.getSpanId())), "the late span delivered");
        }
        assertEquals(keptSpans, count(globex, "SELECT count(*) FROM " + SPANS), "every span of the kept traces delivered once");
        Set<String> receivedTraces = new HashSet<>();
        try (QueryResults results = globex.query("SELECT DISTINCT lower(hex(trace_id)) AS id FROM " + SPANS)) {
            results.rows().forEachRemaining(row -> receivedTraces.add(row.get("id").toString()));
        }
        assertEquals(kept, receivedTraces, "the kept traces, and none of the dropped ones");
        Sampler status = sampler();
        assertEquals(expected.size(), status.decided());
        assertEquals(kept.size(), status.kept());
        assertEquals(2, status.lateRows());

        // A client reading the decisions, disconnected after ten and resumed from its cursor on another connection.
        List<Decision> seen = new ArrayList<>();
        long cursor;
        try (DecisionStream first = acme.decisions(SPANS.toString(), "checkout", 0)) {
            while (seen.size() < 10) {
                seen.add(first.poll(Duration.ofSeconds(30)).orElseThrow());
            }
            cursor = first.after();
        }
        try (LakeshardClient again = LakeshardClient.connect("127.0.0.1", server.port(), ACME_KEY);
                DecisionStream resumed = again.decisions(SPANS.toString(), "checkout", cursor)) {
            while (seen.size() < expected.size()) {
                seen.add(resumed.poll(Duration.ofSeconds(30)).orElseThrow());
            }
            assertTrue(resumed.poll(Duration.ofMillis(500)).isEmpty(), "no decision more than the traces");
        }
        Set<String> streamed = new HashSet<>();
        for (int i = 0; i < seen.size(); i++) {
            assertTrue(streamed.add(seen.get(i).traceId()), "each decision once");
            assertEquals(expected.get(seen.get(i).traceId()), seen.get(i).policy().orElse(null));
            if (i > 0) {
                assertTrue(seen.get(i).sequence() > seen.get(i - 1).sequence(), "in order");
            }
        }
        assertEquals(expected.keySet(), streamed);
    }

    private interface Decoration {
        void apply(Span span);
    }

    /** A trace of a root and {@code children} children, the last child decorated; its id. */
    private static String trace(Tracer tracer, int children, Decoration decoration) {
        Span root = tracer.spanBuilder("GET /").startSpan();
        Context parent = Context.root().with(root);
        for (int c = 0; c < children; c++) {
            Span child = tracer.spanBuilder("step " + c).setParent(parent).startSpan();
            if (c == children - 1) {
                decoration.apply(child);
            }
            child.end();
        }
        root.end();
        return root.getSpanContext().getTraceId();
    }

    private static String slowTrace(Tracer tracer) {
        Instant start = Instant.now().minusSeconds(3);
        Span root = tracer.spanBuilder("GET /slow").setStartTimestamp(start).startSpan();
        Span child = tracer.spanBuilder("slow query").setParent(Context.root().with(root)).setStartTimestamp(start).startSpan();
        child.end();
        root.end();
        return root.getSpanContext().getTraceId();
    }

    private static SpanData firstChild(List<SpanData> spans, String traceId) {
        return spans.stream().filter(span -> span.getTraceId().equals(traceId) && span.getParentSpanContext().isValid())
                .findFirst().orElseThrow();
    }

    private void export(List<SpanData> spans) {
        try (SpanExporter exporter = OtlpGrpcSpanExporter.builder().setEndpoint("http://127.0.0.1:" + server.port())
                .addHeader("authorization", "Bearer " + ACME_KEY).build()) {
            CompletableResultCode result = exporter.export(spans).join(30, TimeUnit.SECONDS);
            assertTrue(result.isSuccess(), "the export was accepted");
        }
    }

    private long count(String sql) {
        return count(acme, sql);
    }

    private static long count(LakeshardClient client, String sql) {
        try (QueryResults results = client.query(sql)) {
            Iterator<Map<String, Object>> rows = results.rows();
            return ((Number) rows.next().values().iterator().next()).longValue();
        }
    }

    private Sampler sampler() {
        return acme.sampler(SPANS.toString(), "checkout");
    }

    /** Waits for the condition; a failure says what the sampler reports (a tick failing says why). */
    private void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 60 s: " + what + "; the sampler: " + sampler());
            }
            Thread.sleep(100);
        }
    }
}
