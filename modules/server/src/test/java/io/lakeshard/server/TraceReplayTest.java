package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.grpc.Status;
import io.lakeshard.api.v1.Consistency;
import io.lakeshard.api.v1.GetTraceRequest;
import io.lakeshard.api.v1.ReadSpansRequest;
import io.lakeshard.api.v1.TimeRange;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.LakeshardException;
import io.lakeshard.client.SpanReader;
import io.lakeshard.client.replay.OtlpTarget;
import io.lakeshard.client.replay.Protocol;
import io.lakeshard.client.replay.Replayer;
import io.lakeshard.client.traces.SpanPage;
import io.lakeshard.cluster.TestCluster;
import io.lakeshard.service.auth.ApiKeys;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * OTLP replay: spans the OpenTelemetry Java SDK exported into one tenant, read back a time range at a time
 * (ReadSpans) and replayed as OTLP into a second tenant of the same server, over gRPC and HTTP, and into a stand-in
 * for a third-party collector that answers as the test scripts it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TraceReplayTest {
    private static final String SOURCE_KEY = "replay-source-key";
    private static final String TARGET_KEY = "replay-target-key";
    /** The source tenant's spans; the target tenant has no dataset of that name. */
    private static final String SOURCE = "otel.source.spans";
    private static final Duration EXPORT_TIMEOUT = Duration.ofSeconds(30);
    private static final HexFormat HEX = HexFormat.of();

    private LakeshardServer server;
    private LakeshardClient source;
    private LakeshardClient target;
    /** Every span exported, once each, in the order of a span read: start, trace id, span id. */
    private List<SpanData> exported;
    private TimeRange range;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        server = TestServers.start(dir, """
                lakeshard.server.api-keys = [
                  { tenant = "source", sha256 = "%s" },
                  { tenant = "target", sha256 = "%s" }
                ]
                """.formatted(ApiKeys.sha256(SOURCE_KEY), ApiKeys.sha256(TARGET_KEY)));
        source = LakeshardClient.connect("127.0.0.1", server.port(), SOURCE_KEY);
        target = LakeshardClient.connect("127.0.0.1", server.port(), TARGET_KEY);

        List<SpanData> spans = new ArrayList<>();
        for (Map.Entry<String, Integer> service : Map.of("replay-checkout", 6, "replay-search", 4).entrySet()) {
            InMemorySpanExporter recorded = InMemorySpanExporter.create();
            try (SdkTracerProvider provider = SdkTraces.provider(service.getKey(), recorded)) {
                SdkTraces.make(provider.get("io.lakeshard.replay", "2.0"), service.getValue());
                spans.addAll(recorded.getFinishedSpanItems());
            }
        }
        exported = spans.stream().sorted(Comparator.comparingLong(SpanData::getStartEpochNanos)
                .thenComparing(SpanData::getTraceId).thenComparing(SpanData::getSpanId)).toList();
        try (SpanExporter exporter = OtlpGrpcSpanExporter.builder().setEndpoint("http://127.0.0.1:" + server.port())
                .addHeader("authorization", "Bearer " + SOURCE_KEY).addHeader("x-lakeshard-dataset", SOURCE)
                // The first export creates the dataset, which takes a while on a busy machine.
                .setTimeout(Duration.ofMinutes(1)).build()) {
            assertSucceeds(exporter.export(spans));
            // An export whose answer was lost, sent again: stored twice, replayed once.
            assertSucceeds(exporter.export(spans.subList(0, 8)));
        }
        assertEquals(new StoredSpans(spans.size() + 8L, spans.size()), StoredSpans.of(source, SOURCE));
        range = TimeRange.newBuilder().setStartUnixNano(exported.get(0).getStartEpochNanos())
                .setEndUnixNano(exported.get(exported.size() - 1).getStartEpochNanos() + 1).build();
    }

    @AfterAll
    void stop() throws Exception {
        target.close();
        source.close();
        server.close();
    }

    @Test
    void tracesReplayedIntoASecondTenantOverGrpcAndHttpComeBackEqual() throws Exception {
        String overGrpc = "otel.replayed_grpc.spans";
        String overHttp = "otel.replayed_http.spans";
        // The SDK's replayer over OTLP/gRPC, pages of 7, at most 20 spans a second.
        Replayer.Report report;
        try (OtlpTarget grpc = OtlpTarget.open(source, endpoint(), Protocol.GRPC,
                Map.of("authorization", "Bearer " + TARGET_KEY, "x-lakeshard-dataset", overGrpc), EXPORT_TIMEOUT)) {
            report = new Replayer(grpc, Replayer.Settings.defaults().withRate(20)).replay(source, read(7).build(), progress -> { });
        }
        assertEquals(new Replayer.Progress(pageSizes(7).size(), exported.size(), exported.size(), 0, 0), report.totals());
        assertTrue(report.failure().isEmpty(), report.failure().toString());
        // 40 spans at 20 a second with a second's worth at once: the last page waits at least one second.
        double seconds = report.elapsed().toNanos() / 1e9;
        assertTrue(seconds >= 1.0 && seconds < 30, "40 spans at 20/s, a burst of 20, took " + seconds + " s");

        // The CLI over OTLP/HTTP, pages of 15.
        CliRun cli = CliRun.run("127.0.0.1:" + server.port(), SOURCE_KEY, 2, "traces", "replay", "--dataset", SOURCE,
                "--from", instant(range.getStartUnixNano()), "--to", instant(range.getEndUnixNano()), "--batch", "15",
                "--endpoint", endpoint().toString(), "--protocol", "http/protobuf",
                "--header", "authorization=Bearer " + TARGET_KEY, "--header", "x-lakeshard-dataset=" + overHttp);
        assertEquals(0, cli.exit(), cli.err());
        assertTrue(cli.out().startsWith("replayed 40 spans (" + pageSizes(15).size() + " pages) to " + endpoint() + " over http/protobuf in "),
                cli.out());

        for (String dataset : List.of(overGrpc, overHttp)) {
            assertEquals(new StoredSpans(exported.size(), exported.size()), StoredSpans.of(target, dataset),
                    dataset + ": every span once, the retried export's copies too");
            Map<String, List<SpanData>> byTrace = exported.stream().collect(Collectors.groupingBy(SpanData::getTraceId));
            assertEquals(10, byTrace.size());
            byTrace.forEach((traceId, spans) -> {
                TracesData replayed = trace(target, dataset, traceId);
                assertEquals(trace(source, SOURCE, traceId), replayed, dataset + ": trace " + traceId + ", every field the table keeps");
                assertEquals(SpanViews.ofJava(spans), SpanViews.of(replayed), dataset + ": trace " + traceId + " as the SDK exported it");
            });
        }
    }

    @Test
    void pagesComeInKeyOrderAndFiltersSelectExactlyTheirSpans() {
        List<Span> all = readAll(read(3).build(), 3);
        assertEquals(keys(exported), all.stream().map(TraceReplayTest::key).toList(), "every span once, by start, trace id, span id");

        List<Span> search = readAll(read(4).addServiceNames("replay-search").build(), 4);
        assertEquals(keys(exported.stream().filter(span -> service(span).equals("replay-search")).toList()),
                search.stream().map(TraceReplayTest::key).toList());

        Set<String> two = Set.of(exported.get(5).getTraceId(), exported.get(30).getTraceId());
        // Trace ids in either case.
        List<Span> traces = readAll(read(1000).addTraceIds(exported.get(5).getTraceId())
                .addTraceIds(exported.get(30).getTraceId().toUpperCase(Locale.ROOT)).build(), 1000);
        assertEquals(keys(exported.stream().filter(span -> two.contains(span.getTraceId())).toList()),
                traces.stream().map(TraceReplayTest::key).toList());

        long middle = exported.get(20).getStartEpochNanos();
        List<Span> later = readAll(read(1000).setTimeRange(range.toBuilder().setStartUnixNano(middle)).build(), 1000);
        assertEquals(keys(exported.stream().filter(span -> span.getStartEpochNanos() >= middle).toList()),
                later.stream().map(TraceReplayTest::key).toList(), "spans that start in [start, end)");
    }

    @Test
    void badReadsAreInvalidArgumentNamingTheField() {
        assertInvalid(ReadSpansRequest.newBuilder().setDataset(SOURCE).build(), "time_range: is required");
        assertInvalid(read(10).setTimeRange(TimeRange.newBuilder().setStartUnixNano(5).setEndUnixNano(5)).build(), "time_range: ");
        assertInvalid(read(10).setTimeRange(range.toBuilder().setEndUnixNano(range.getStartUnixNano() - 1)).build(), "time_range: ");
        assertInvalid(read(10).addTraceIds(exported.get(0).getTraceId()).addTraceIds("not-a-trace-id").build(), "trace_ids[1]: ");
        assertInvalid(read(10_001).build(), "page_spans: ");
        assertInvalid(read(10).addServiceNames("").build(), "service_names[0]: ");

        CliRun cli = CliRun.run("127.0.0.1:" + server.port(), SOURCE_KEY, 2, "traces", "replay", "--dataset", SOURCE, "--since", "1h",
                "--trace-id", "nope", "--endpoint", endpoint().toString());
        assertEquals(2, cli.exit(), cli.out());
        assertTrue(cli.err().startsWith("error: INVALID_ARGUMENT: trace_ids[0]: expected a trace id of 32 hex digits"), cli.err());
    }

    @Test
    void aTenantReadsOnlyItsOwnDatasets() {
        LakeshardException notTheirs = assertThrows(LakeshardException.class, () -> first(target, read(10).build()));
        assertEquals(Status.Code.NOT_FOUND, notTheirs.code(), notTheirs.getMessage());
        LakeshardException noKey = assertThrows(LakeshardException.class, () -> {
            try (LakeshardClient anonymous = LakeshardClient.connect("127.0.0.1", server.port(), "no-such-key")) {
                first(anonymous, read(10).build());
            }
        });
        assertEquals(Status.Code.UNAUTHENTICATED, noKey.code(), noKey.getMessage());
    }

    @Test
    void aCollectorThatAnswers503TwiceGetsEverythingOnceAndItsPartialSuccessIsReported() throws Exception {
        ExportTraceServiceResponse partial = ExportTraceServiceResponse.newBuilder().setPartialSuccess(
                ExportTracePartialSuccess.newBuilder().setRejectedSpans(2).setErrorMessage("2 spans lacked a name")).build();
        try (StandInCollector collector = new StandInCollector(request -> switch (request) {
            case 0 -> Reply.unavailable("1");
            case 1 -> Reply.unavailable(null);
            case 3 -> Reply.ok(partial);
            default -> Reply.ok(ExportTraceServiceResponse.getDefaultInstance());
        })) {
            Replayer.Report report;
            try (OtlpTarget http = OtlpTarget.open(source, collector.endpoint(), Protocol.HTTP_PROTOBUF, Map.of("authorization", "Bearer x"),
                    EXPORT_TIMEOUT)) {
                report = new Replayer(http, Replayer.Settings.defaults().withBackoff(Duration.ofMillis(100), Duration.ofSeconds(1)))
                        .replay(source, read(15).build(), progress -> { });
            }
            assertTrue(report.failure().isEmpty(), report.failure().toString());
            int pages = pageSizes(15).size();
            assertEquals(new Replayer.Progress(pages, 40, 40, 2, 2), report.totals());
            assertEquals(List.of("2 spans lacked a name"), report.rejections());

            List<Received> received = collector.received();
            assertEquals(pages + 2, received.size(), "every page once, the first three times");
            assertEquals(List.of(503, 503, 200), received.stream().map(Received::status).toList().subList(0, 3));
            assertTrue(received.stream().skip(3).allMatch(request -> request.status() == 200));
            assertEquals(received.get(0).export(), received.get(2).export(), "the same export, sent again");
            assertTrue(received.get(1).atNanos() - received.get(0).atNanos() >= TimeUnit.SECONDS.toNanos(1), "Retry-After: 1 was honoured");
            assertEquals("Bearer x", received.get(0).authorization());
            List<String> taken = received.stream().filter(request -> request.status() == 200)
                    .flatMap(request -> spans(request.export()).stream()).map(TraceReplayTest::key).toList();
            assertEquals(keys(exported), taken, "every span once, in order");
        }
    }

    @Test
    void aReplayThatCannotDeliverStopsAndSaysWhatWasNotDeliveredAndWhereToResume() throws Exception {
        try (StandInCollector collector = new StandInCollector(request -> request == 0
                ? Reply.ok(ExportTraceServiceResponse.getDefaultInstance()) : Reply.unavailable(null))) {
            CliRun cli = CliRun.run("127.0.0.1:" + server.port(), SOURCE_KEY, 2, "traces", "replay", "--dataset", SOURCE,
                    "--from", instant(range.getStartUnixNano()), "--to", instant(range.getEndUnixNano()), "--batch", "15",
                    "--endpoint", collector.endpoint().toString(), "--give-up-after", "2s");
            assertEquals(2, cli.exit(), cli.out());
            List<Integer> pages = pageSizes(15);
            int delivered = pages.get(0);
            String resume = instant(exported.get(delivered).getStartEpochNanos());
            assertTrue(cli.err().contains("error: page 2 (spans " + (delivered + 1) + " to " + (delivered + pages.get(1))
                    + ") was not delivered: gave up after retrying for 2000 ms; the last answer: HTTP 503 from " + collector.endpoint()
                    + "/v1/traces"), cli.err());
            assertTrue(cli.err().contains("; the " + delivered + " spans before it were delivered. To resume: --from " + resume + " --to "
                    + instant(range.getEndUnixNano())), cli.err());
            assertTrue(collector.received().size() >= 3, "page 2 was retried: " + collector.received().size() + " requests");
        }
        try (StandInCollector refusing = new StandInCollector(request -> Reply.status(400, "bad request"))) {
            Replayer.Report report;
            try (OtlpTarget http = OtlpTarget.open(source, refusing.endpoint(), Protocol.HTTP_PROTOBUF, Map.of(), EXPORT_TIMEOUT)) {
                report = new Replayer(http, Replayer.Settings.defaults()).replay(source, read(15).build(), progress -> { });
            }
            Replayer.Failure failure = report.failure().orElseThrow();
            assertEquals(1, failure.page());
            assertEquals(1, failure.firstSpan());
            assertEquals(pageSizes(15).get(0), (int) failure.spans());
            assertEquals(range.getStartUnixNano(), failure.resumeFromUnixNano());
            assertTrue(failure.reason().startsWith("HTTP 400 from " + refusing.endpoint() + "/v1/traces: bad request"), failure.reason());
            assertEquals(1, refusing.received().size(), "a refusal is not retried");
        }

        // Over gRPC: a wrong key is refused at once; a port nothing listens on is UNAVAILABLE, retried until given up.
        try (OtlpTarget wrongKey = OtlpTarget.open(source, endpoint(), Protocol.GRPC, Map.of("authorization", "Bearer wrong"),
                EXPORT_TIMEOUT)) {
            Replayer.Report report = new Replayer(wrongKey, Replayer.Settings.defaults()).replay(source, read(15).build(), progress -> { });
            assertTrue(report.failure().orElseThrow().reason().startsWith("gRPC UNAUTHENTICATED from " + endpoint()), report.toString());
            assertEquals(0, report.totals().retries());
        }
        URI nobody = URI.create("http://127.0.0.1:" + TestCluster.freeLoopbackPort());
        try (OtlpTarget closed = OtlpTarget.open(source, nobody, Protocol.GRPC, Map.of(), EXPORT_TIMEOUT)) {
            Replayer.Report report = new Replayer(closed, Replayer.Settings.defaults().withGiveUpAfter(Duration.ofSeconds(1))
                    .withBackoff(Duration.ofMillis(100), Duration.ofMillis(200))).replay(source, read(15).build(), progress -> { });
            String reason = report.failure().orElseThrow().reason();
            assertTrue(reason.startsWith("gave up after retrying for 1000 ms; the last answer: gRPC UNAVAILABLE from " + nobody), reason);
            assertTrue(report.totals().retries() >= 2, report.toString());
            assertEquals(0, report.totals().spansSent());
        }
    }

    private ReadSpansRequest.Builder read(int pageSpans) {
        return ReadSpansRequest.newBuilder().setDataset(SOURCE).setTimeRange(range).setPageSpans(pageSpans)
                .setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES);
    }

    private URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    /**
     * The spans of each page of the source's range in pages of {@code pageSpans}: fewer where a span stored twice took
     * two of the page's rows.
     */
    private List<Integer> pageSizes(int pageSpans) {
        List<Integer> sizes = new ArrayList<>();
        try (SpanReader reader = source.readSpans(read(pageSpans).build())) {
            for (SpanPage page = reader.next().orElse(null); page != null; page = reader.next().orElse(null)) {
                sizes.add((int) page.spanCount());
            }
        }
        return sizes;
    }

    /** Every span of a read, checking that no page holds more than its size and the running count adds up. */
    private List<Span> readAll(ReadSpansRequest request, int pageSpans) {
        List<Span> spans = new ArrayList<>();
        try (SpanReader reader = source.readSpans(request)) {
            for (SpanPage page = reader.next().orElse(null); page != null; page = reader.next().orElse(null)) {
                List<Span> content = spans(page.spans());
                assertTrue(!content.isEmpty() && content.size() <= pageSpans, content.size() + " spans in a page of " + pageSpans);
                spans.addAll(content);
                assertEquals(spans.size(), page.spansSoFar());
            }
        }
        return spans;
    }

    private static void first(LakeshardClient client, ReadSpansRequest request) {
        try (SpanReader reader = client.readSpans(request)) {
            reader.next();
        }
    }

    private void assertInvalid(ReadSpansRequest request, String message) {
        LakeshardException refused = assertThrows(LakeshardException.class, () -> first(source, request));
        assertEquals(Status.Code.INVALID_ARGUMENT, refused.code(), refused.getMessage());
        assertTrue(refused.getMessage().startsWith("INVALID_ARGUMENT: " + message), refused.getMessage());
    }

    private static TracesData trace(LakeshardClient client, String dataset, String traceId) {
        return client.getTrace(GetTraceRequest.newBuilder().setDataset(dataset).setTraceId(traceId).setIncludeOtlp(true)
                .setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES).build()).otlp().orElseThrow();
    }

    private static List<Span> spans(TracesData traces) {
        return traces.getResourceSpansList().stream().flatMap(resource -> resource.getScopeSpansList().stream())
                .flatMap(scope -> scope.getSpansList().stream()).toList();
    }

    private static List<Span> spans(ExportTraceServiceRequest export) {
        return spans(TracesData.newBuilder().addAllResourceSpans(export.getResourceSpansList()).build());
    }

    private static String key(Span span) {
        return span.getStartTimeUnixNano() + "/" + HEX.formatHex(span.getTraceId().toByteArray()) + "/"
                + HEX.formatHex(span.getSpanId().toByteArray());
    }

    private static List<String> keys(List<SpanData> spans) {
        return spans.stream().map(span -> span.getStartEpochNanos() + "/" + span.getTraceId() + "/" + span.getSpanId()).toList();
    }

    private static String service(SpanData span) {
        return span.getResource().getAttribute(AttributeKey.stringKey("service.name"));
    }

    private static String instant(long unixNano) {
        return Instant.ofEpochSecond(0, unixNano).toString();
    }

    private static void assertSucceeds(CompletableResultCode result) {
        result.join(60, TimeUnit.SECONDS);
        assertTrue(result.isSuccess(), "the exporter's export succeeds: " + result.getFailureThrowable());
    }

    /** What the stand-in answers to a request. */
    private record Reply(int status, byte[] body, String contentType, String retryAfter) {
        static Reply ok(ExportTraceServiceResponse response) {
            return new Reply(200, response.toByteArray(), "application/x-protobuf", null);
        }

        static Reply unavailable(String retryAfter) {
            return new Reply(503, new byte[0], "text/plain", retryAfter);
        }

        static Reply status(int status, String text) {
            return new Reply(status, text.getBytes(StandardCharsets.UTF_8), "text/plain", null);
        }
    }

    /** A request the stand-in received, when, and what it answered. */
    private record Received(ExportTraceServiceRequest export, String authorization, long atNanos, int status) {}

    /**
     * A stand-in for a third-party OTLP/HTTP collector on a loopback port: it answers the n-th request (0 the first)
     * as {@code script} says, and keeps every request.
     */
    private static final class StandInCollector implements AutoCloseable {
        private final HttpServer http;
        private final List<Received> received = new CopyOnWriteArrayList<>();

        StandInCollector(IntFunction<Reply> script) throws IOException {
            http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            http.createContext("/v1/traces", exchange -> answer(exchange, script));
            http.start();
        }

        private void answer(HttpExchange exchange, IntFunction<Reply> script) throws IOException {
            try (exchange) {
                ExportTraceServiceRequest export = ExportTraceServiceRequest.parseFrom(exchange.getRequestBody().readAllBytes());
                Reply reply;
                synchronized (received) {
                    reply = script.apply(received.size());
                    received.add(new Received(export, exchange.getRequestHeaders().getFirst("authorization"), System.nanoTime(),
                            reply.status()));
                }
                exchange.getResponseHeaders().set("Content-Type", reply.contentType());
                if (reply.retryAfter() != null) {
                    exchange.getResponseHeaders().set("Retry-After", reply.retryAfter());
                }
                exchange.sendResponseHeaders(reply.status(), reply.body().length == 0 ? -1 : reply.body().length);
                exchange.getResponseBody().write(reply.body());
            }
        }

        URI endpoint() {
            return URI.create("http://127.0.0.1:" + http.getAddress().getPort());
        }

        List<Received> received() {
            return List.copyOf(received);
        }

        @Override
        public void close() {
            http.stop(0);
        }
    }
}
