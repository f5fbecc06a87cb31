package io.lakeshard.server.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.client.DecisionStream;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.LakeshardException;
import io.lakeshard.client.QueryResults;
import io.lakeshard.client.sampling.Decision;
import io.lakeshard.client.sampling.ExportOption;
import io.lakeshard.client.sampling.Sampler;
import io.lakeshard.client.sampling.SamplerOptions;
import io.lakeshard.client.sampling.SamplingPolicyOption;
import io.lakeshard.cluster.PostgresServer;
import io.lakeshard.cluster.TestCluster;
import io.lakeshard.storage.S3TestServer;
import io.lakeshard.traces.query.TraceId;
import io.lakeshard.traces.sampling.Decider;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.InetSocketAddress;
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
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

/**
 * Tail sampling on the dev overlay's three pods (PostgreSQL journal, S3 store), fed by the OpenTelemetry Java SDK's
 * OTLP/gRPC exporter while the sampler's owner is killed with SIGKILL: every trace is decided exactly once by the
 * policy that should decide it, late spans of a kept trace follow it, the kept traces (and none of the dropped ones)
 * reach a second OTLP receiver — the cluster itself, another trace dataset — and a client reading the decisions,
 * disconnected and reconnected from its cursor, sees each decision once.
 */
class SamplingFailoverIT {
    private static final List<String> HOSTS = List.of("127.0.12.1", "127.0.12.2", "127.0.12.3");
    private static final Duration FORMATION = Duration.ofMinutes(3);
    private static final Duration RECOVERY = Duration.ofMinutes(2);
    private static final String SPANS = "otel.traces.spans";
    private static final String KEPT = "otel.traces.kept";
    private static final String DECISIONS = "otel.traces.spans_sampled_failover";
    private static final int ROUNDS = 24;
    private static final int TRACES_PER_ROUND = 25;

    private final Management management = new Management();

    @Test
    void theOwnersSigkillDecidesNoTraceTwiceAndSkipsNone(@TempDir Path dir) throws Exception {
        Pods pods = Pods.devOverlay(dir);
        try (PostgresServer postgres = PostgresServer.start();
                S3TestServer s3 = S3TestServer.start(dir.resolve("s3"), pods.s3AccessKey(), pods.s3SecretKey());
                KubernetesApi kubernetes = KubernetesApi.start(dir.resolve("kubernetes"), pods.namespace(), pods.podLabels())) {
            s3.createBucket(pods.bucket());
            Fleet fleet = new Fleet(pods, HOSTS, postgres.url(), s3.endpoint().toString(), kubernetes, management, FORMATION, RECOVERY);
            try {
                fleet.startAll();
                run(fleet);
            } finally {
                fleet.stopAll();
                pods.keepLogs(HOSTS, SamplingFailoverIT.class);
            }
        }
    }

    private void run(Fleet fleet) throws Exception {
        Map<String, String> expected = new ConcurrentHashMap<>();
        Map<String, Integer> spansOf = new HashMap<>();
        List<SpanData> heldBack = new ArrayList<>();
        InMemorySpanExporter recorded = InMemorySpanExporter.create();
        Set<String> down = ConcurrentHashMap.newKeySet();
        Set<String> heldBackIds = new HashSet<>();
        List<Instant> roundStarts = new ArrayList<>();
        try (SdkTracerProvider provider = SdkTracerProvider.builder()
                        .setResource(Resource.create(Attributes.builder().put("service.name", "checkout").build()))
                        .addSpanProcessor(SimpleSpanProcessor.create(recorded)).build();
                LakeshardClient client = LakeshardClient.connect(endpoints(0), Pods.API_KEY)) {
            Tracer tracer = provider.get("io.lakeshard.it");
            // The first export makes the trace dataset the sampler needs.
            trace(tracer, 1, Kind.ORDINARY, expected);
            exportRecorded(recorded, heldBack, spansOf, down, 0);
            client.createSampler(SamplerOptions.named("failover").withDataset(SPANS)
                    .withInactivity(Duration.ofSeconds(2)).withMaxTraceDuration(Duration.ofSeconds(20))
                    .withPolicies(SamplingPolicyOption.keepErrors(), SamplingPolicyOption.keepSlowSpans(Duration.ofSeconds(1)),
                            SamplingPolicyOption.keepLargeTraces(20), SamplingPolicyOption.keepSpanAttribute("http.route", "/checkout"),
                            SamplingPolicyOption.keepPercentage(20))
                    // The second receiver: the cluster itself, another trace dataset of the tenant, over OTLP/gRPC.
                    .withExport(ExportOption.grpc("http://" + HOSTS.get(1) + ":8080").withHeader("authorization", "Bearer " + Pods.API_KEY)
                            .withHeader("x-lakeshard-dataset", KEPT)));
            DecisionReader reader = new DecisionReader(endpoints(2));
            reader.start();

            String killed = null;
            for (int round = 0; round < ROUNDS; round++) {
                roundStarts.add(Instant.now());
                for (int t = 0; t < TRACES_PER_ROUND; t++) {
                    trace(tracer, round * TRACES_PER_ROUND + t, Kind.values()[t % Kind.values().length], expected);
                }
                exportRecorded(recorded, round == 2 ? heldBack : null, spansOf, down, round);
                if (round == 10) {
                    // Late spans: held back since round 2 (and the first trace's, which began before the sampler
                    // and so, on a slow machine, before the windows of the ticks that find them), whose traces are
                    // decided by now.
                    awaitDecided(client, heldBack);
                    heldBack.forEach(span -> heldBackIds.add(span.getSpanId()));
                    exportSpans(heldBack, down, round);
                    heldBack.clear();
                }
                if (round == 12) {
                    killed = owner();
                    down.add(killed);
                    fleet.kill(killed);
                    reader.reconnect(endpoints(HOSTS.indexOf(killed) == 2 ? 0 : 2));
                }
                if (round == 18 && killed != null) {
                    fleet.restart(killed);
                    down.remove(killed);
                }
                Thread.sleep(300);
            }
            awaitDecided(client, expected.size());
            // No trace decided twice, none skipped, each by the policy that should have.
            Map<String, String> decided = new HashMap<>();
            try (QueryResults results = client.query("SELECT lower(hex(trace_id)) AS id, keep, policy FROM " + DECISIONS + " WHERE NOT late")) {
                for (Iterator<Map<String, Object>> rows = results.rows(); rows.hasNext(); ) {
                    Map<String, Object> row = rows.next();
                    String previous = decided.put(row.get("id").toString(), (Boolean) row.get("keep") ? row.get("policy").toString() : "");
                    assertEquals(null, previous, "trace " + row.get("id") + " decided once");
                }
            }
            Map<String, String> wanted = new HashMap<>();
            expected.forEach((id, policy) -> wanted.put(id, policy));
            assertEquals(wanted, decided);

            Set<String> kept = new HashSet<>();
            wanted.forEach((id, policy) -> {
                if (!policy.isEmpty()) {
                    kept.add(id);
                }
            });
            long keptSpans = kept.stream().mapToLong(spansOf::get).sum();
            String deliveredSpans = "SELECT count(DISTINCT span_id) FROM " + KEPT;
            try {
                TestCluster.await(RECOVERY, () -> count(client, deliveredSpans) == keptSpans, "the kept traces' " + keptSpans + " spans delivered");
            } catch (AssertionFailedError e) {
                // How far delivery got and what the sampler says of its exports (a failing receiver, its back-off).
                throw new AssertionFailedError(e.getMessage() + "; delivered " + count(client, deliveredSpans)
                        + " spans; the sampler: " + client.sampler(SPANS, "failover") + "; "
                        + undelivered(client, kept, heldBackIds, roundStarts), e);
            }
            Set<String> delivered = new HashSet<>();
            try (QueryResults results = client.query("SELECT DISTINCT lower(hex(trace_id)) AS id FROM " + KEPT)) {
                results.rows().forEachRemaining(row -> delivered.add(row.get("id").toString()));
            }
            assertEquals(kept, delivered, "the kept traces and none of the dropped ones");
            assertTrue(count(client, "SELECT count(*) FROM " + DECISIONS + " WHERE late") >= 1, "late spans of kept traces followed them");

            // The owner's counts agree with its rows, a tick it finished by looking it up after the kill included.
            Sampler sampler = client.sampler(SPANS, "failover");
            assertEquals(expected.size(), sampler.decided(), "decided, as the sampler counts: " + sampler);
            assertEquals(kept.size(), sampler.kept(), "kept, as the sampler counts");
            List<Long> sequences = reader.stop(expected.size());
            assertEquals(expected.size(), sequences.size(), "the reader saw every decision");
            assertEquals(sequences.size(), new HashSet<>(sequences).size(), "and each once");
            System.out.printf("sampling fail-over: %d traces, %d kept, owner %s killed, reader reconnected %d times%n",
                    expected.size(), kept.size(), killed, reader.connections() - 1);
        }
    }

    private enum Kind { ERROR, SLOW, LARGE, ROUTE, ORDINARY, ORDINARY_2 }

    private static void trace(Tracer tracer, int n, Kind kind, Map<String, String> expected) {
        Instant start = Instant.now().minusSeconds(kind == Kind.SLOW ? 2 : 0);
        Span root = tracer.spanBuilder("GET /" + n).setStartTimestamp(start).startSpan();
        Context parent = Context.root().with(root);
        int children = kind == Kind.LARGE ? 25 : 3;
        for (int c = 0; c < children; c++) {
            Span child = tracer.spanBuilder("step " + c).setParent(parent).setStartTimestamp(start).startSpan();
            if (c == 1 && kind == Kind.ERROR) {
                child.setStatus(StatusCode.ERROR, "card declined");
            }
            if (c == 1 && kind == Kind.ROUTE) {
                child.setAttribute("http.route", "/checkout");
            }
            child.end();
        }
        root.end();
        String id = root.getSpanContext().getTraceId();
        expected.put(id, switch (kind) {
            case ERROR -> "errors";
            case SLOW -> "slow_span>1s";
            case LARGE -> "large_trace>20";
            case ROUTE -> "span_attribute:http.route=/checkout";
            default -> Decider.inPercentage(new TraceId(id), 20) ? "percentage:20" : "";
        });
    }

    /** Exports what the SDK recorded since the last call, holding back each trace's first child into {@code holdInto}. */
    private static void exportRecorded(InMemorySpanExporter recorded, List<SpanData> holdInto, Map<String, Integer> spansOf,
            Set<String> down, int round) {
        List<SpanData> spans = List.copyOf(recorded.getFinishedSpanItems());
        recorded.reset();
        Set<String> held = new HashSet<>();
        List<SpanData> now = new ArrayList<>();
        for (SpanData span : spans) {
            spansOf.merge(span.getTraceId(), 1, Integer::sum);
            if (holdInto != null && span.getParentSpanContext().isValid() && held.add(span.getTraceId())) {
                holdInto.add(span);
            } else {
                now.add(span);
            }
        }
        exportSpans(now, down, round);
    }

    /** Exports the spans through a pod that is up, another after a failure, until one accepts them. */
    private static void exportSpans(List<SpanData> spans, Set<String> down, int round) {
        long deadline = System.nanoTime() + RECOVERY.toNanos();
        for (int attempt = 0; ; attempt++) {
            String host = HOSTS.get((round + attempt) % HOSTS.size());
            if (!down.contains(host)) {
                try (SpanExporter exporter = OtlpGrpcSpanExporter.builder().setEndpoint("http://" + host + ":8080")
                        .addHeader("authorization", "Bearer " + Pods.API_KEY).setTimeout(Duration.ofSeconds(20)).build()) {
                    CompletableResultCode result = exporter.export(spans).join(30, TimeUnit.SECONDS);
                    if (result.isSuccess()) {
                        return;
                    }
                }
            }
            assertTrue(System.nanoTime() < deadline, "an export of " + spans.size() + " spans accepted within " + RECOVERY);
        }
    }

    /** The pod the sampler's owner runs on. */
    private String owner() {
        List<String> found = new ArrayList<>();
        TestCluster.await(RECOVERY, () -> {
            found.clear();
            HOSTS.stream().filter(host -> !management.shards(host, "Sampler").isEmpty()).forEach(found::add);
            return found.size() == 1;
        }, "one pod owning the sampler");
        return found.get(0);
    }

    private static void awaitDecided(LakeshardClient client, List<SpanData> spans) {
        Set<String> traces = new HashSet<>();
        spans.forEach(span -> traces.add("from_hex('" + span.getTraceId() + "')"));
        TestCluster.await(RECOVERY, () -> count(client, "SELECT count(*) FROM " + DECISIONS + " WHERE NOT late AND trace_id IN ("
                + String.join(", ", traces) + ")") == traces.size(), "the traces of the held-back spans decided");
    }

    private static void awaitDecided(LakeshardClient client, int traces) throws InterruptedException {
        long deadline = System.nanoTime() + RECOVERY.toNanos();
        long decided = 0;
        while ((decided = count(client, "SELECT count(*) FROM " + DECISIONS + " WHERE NOT late")) < traces) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(decided + " of " + traces + " traces decided within " + RECOVERY + "; the sampler: "
                        + client.sampler(SPANS, "failover"));
            }
            Thread.sleep(200);
        }
    }

    /**
     * Which spans of the kept traces did not reach the receiver: for each, when it started and was written, whether it
     * was held back, and its trace's decision rows (which start times and arrivals each delivers) — what a failure
     * needs to tell a late commit from a window that left the span out.
     */
    private static String undelivered(LakeshardClient client, Set<String> kept, Set<String> heldBack, List<Instant> roundStarts) {
        StringBuilder out = new StringBuilder("rounds started at ").append(roundStarts).append("; undelivered spans:");
        String traces = String.join(", ", kept.stream().map(id -> "from_hex('" + id + "')").toList());
        Set<String> shortTraces = new HashSet<>();
        try (QueryResults results = client.query("SELECT lower(hex(trace_id)) AS t, lower(hex(span_id)) AS s,"
                + " min(start_time_unix_nano) AS start, list(epoch_us(_ls_ingest_time) ORDER BY _ls_ingest_time) AS arrived FROM "
                + SPANS + " WHERE trace_id IN (" + traces + ") AND span_id NOT IN (SELECT span_id FROM " + KEPT + ")"
                + " GROUP BY 1, 2 ORDER BY 1, 2")) {
            results.rows().forEachRemaining(row -> {
                shortTraces.add(row.get("t").toString());
                out.append(" [trace ").append(row.get("t")).append(" span ").append(row.get("s"))
                        .append(heldBack.contains(row.get("s").toString()) ? " (held back)" : "").append(" started ").append(row.get("start"))
                        .append(" written at (micros) ").append(row.get("arrived")).append(']');
            });
        }
        if (!shortTraces.isEmpty()) {
            out.append("; their decision rows:");
            try (QueryResults results = client.query("SELECT sequence, late, keep, policy, tick, ready_at, span_count,"
                    + " window_from_unix_nano, window_until_unix_nano, arrived_from_micros, arrived_until_micros FROM " + DECISIONS
                    + " WHERE lower(hex(trace_id)) IN (" + String.join(", ", shortTraces.stream().map(id -> "'" + id + "'").toList())
                    + ") ORDER BY sequence")) {
                results.rows().forEachRemaining(row -> out.append(' ').append(row));
            }
        }
        return out.toString();
    }

    private static long count(LakeshardClient client, String sql) {
        try (QueryResults results = client.query(sql)) {
            return ((Number) results.rows().next().values().iterator().next()).longValue();
        }
    }

    /**
     * A client following the decisions on a thread of its own: it reconnects from its cursor when told to (a client
     * going away) and when the stream breaks (its node killed).
     */
    private static final class DecisionReader {
        private final List<Long> sequences = new CopyOnWriteArrayList<>();
        private final AtomicBoolean stopped = new AtomicBoolean();
        private final AtomicReference<List<InetSocketAddress>> switchTo = new AtomicReference<>();
        private final Thread thread;
        private volatile int connections;
        private volatile Throwable failure;

        DecisionReader(List<InetSocketAddress> endpoints) {
            this.thread = new Thread(() -> read(endpoints), "decision-reader");
        }

        void start() {
            thread.start();
        }

        void reconnect(List<InetSocketAddress> endpoints) {
            switchTo.set(endpoints);
        }

        int connections() {
            return connections;
        }

        /** Waits until the reader has {@code decisions}, then stops it; the sequences it saw, in order. */
        List<Long> stop(int decisions) throws InterruptedException {
            TestCluster.await(RECOVERY, () -> sequences.size() >= decisions || failure != null, decisions + " decisions read");
            stopped.set(true);
            thread.join(TimeUnit.SECONDS.toMillis(30));
            if (failure != null) {
                throw new AssertionError("the decision reader failed", failure);
            }
            return List.copyOf(sequences);
        }

        private void read(List<InetSocketAddress> first) {
            List<InetSocketAddress> endpoints = first;
            long after = 0;
            long deadline = System.nanoTime() + RECOVERY.toNanos();
            while (!stopped.get()) {
                connections++;
                try (LakeshardClient client = LakeshardClient.connect(endpoints, Pods.API_KEY);
                        DecisionStream stream = client.decisions(SPANS, "failover", after, true)) {
                    while (!stopped.get() && switchTo.get() == null) {
                        Optional<Decision> decision = stream.poll(Duration.ofMillis(500));
                        decision.ifPresent(d -> sequences.add(d.sequence()));
                        after = stream.after();
                    }
                    deadline = System.nanoTime() + RECOVERY.toNanos();
                } catch (LakeshardException e) {
                    if (System.nanoTime() > deadline) {
                        failure = e;
                        return;
                    }
                } catch (RuntimeException e) {
                    failure = e;
                    return;
                }
                List<InetSocketAddress> next = switchTo.getAndSet(null);
                if (next != null) {
                    endpoints = next;
                }
            }
        }
    }

    private static List<InetSocketAddress> endpoints(int first) {
        List<InetSocketAddress> endpoints = new ArrayList<>();
        for (int i = 0; i < HOSTS.size(); i++) {
            endpoints.add(new InetSocketAddress(HOSTS.get((first + i) % HOSTS.size()), 8080));
        }
        return endpoints;
    }
}
