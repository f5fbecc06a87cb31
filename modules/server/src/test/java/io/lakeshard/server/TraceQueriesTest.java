package io.lakeshard.server;

import static io.lakeshard.server.TraceFixture.A;
import static io.lakeshard.server.TraceFixture.B;
import static io.lakeshard.server.TraceFixture.C;
import static io.lakeshard.server.TraceFixture.MISSING_PARENT;
import static io.lakeshard.server.TraceFixture.MS;
import static io.lakeshard.server.TraceFixture.T0;
import static io.lakeshard.server.TraceFixture.spanId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.grpc.GrpcClientSettings;
import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lakeshard.api.v1.AttributeFilter;
import io.lakeshard.api.v1.AttributeRange;
import io.lakeshard.api.v1.AttributeValue;
import io.lakeshard.api.v1.Consistency;
import io.lakeshard.api.v1.GetRedMetricsRequest;
import io.lakeshard.api.v1.GetTraceRequest;
import io.lakeshard.api.v1.GetTraceResponse;
import io.lakeshard.api.v1.ListServicesRequest;
import io.lakeshard.api.v1.ListServicesResponse;
import io.lakeshard.api.v1.RedPoint;
import io.lakeshard.api.v1.SearchTracesRequest;
import io.lakeshard.api.v1.SearchTracesResponse;
import io.lakeshard.api.v1.SpanNode;
import io.lakeshard.api.v1.TimeRange;
import io.lakeshard.api.v1.TraceQueryServiceClient;
import io.lakeshard.api.v1.TraceSummary;
import io.lakeshard.grpc.FixedAddressResolver;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.traces.Trace;
import io.lakeshard.client.traces.TracePage;
import io.lakeshard.server.TraceFixture.FixtureSpan;
import io.lakeshard.service.auth.ApiKeys;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceClient;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trace queries through gRPC on loopback against one server: the fixture's traces written through the service layer
 * as OTLP ingest writes them, then read back by id, searched, listed and measured as a client sees them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TraceQueriesTest {
    private static final String ACME_KEY = "acme-traces";
    private static final String GLOBEX_KEY = "globex-traces";
    /** Around the fixture: every span starts within seconds of T0. */
    private static final TimeRange RANGE = TimeRange.newBuilder().setStartUnixNano(T0 - 60_000 * MS).setEndUnixNano(T0 + 240_000 * MS).build();

    private LakeshardServer server;
    private ActorSystem<Void> clientSystem;
    private TraceQueryServiceClient traces;
    private LakeshardClient sdk;
    private BufferAllocator allocator;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        allocator = new RootAllocator();
        server = TestServers.start(dir, """
                lakeshard.server.api-keys = [
                  { tenant = "acme", sha256 = "%s" },
                  { tenant = "globex", sha256 = "%s" }
                ]
                """.formatted(ApiKeys.sha256(ACME_KEY), ApiKeys.sha256(GLOBEX_KEY)));
        TraceFixture.write(server.service(), allocator, "acme");
        TraceFixture.register(server.service(), "globex");
        clientSystem = ActorSystem.create(Behaviors.empty(), "client", ConfigFactory.parseString("akka.loglevel = WARNING"));
        traces = TraceQueryServiceClient.create(GrpcClientSettings.connectToServiceAt("127.0.0.1", server.port(), clientSystem)
                .withTls(false).withChannelBuilderOverrides(builder -> FixedAddressResolver.pin(builder, new InetSocketAddress("127.0.0.1", server.port()))), clientSystem);
        sdk = LakeshardClient.connect("127.0.0.1", server.port(), ACME_KEY);
    }

    @AfterAll
    void stop() throws Exception {
        sdk.close();
        traces.close();
        clientSystem.terminate();
        server.close();
        allocator.close();
    }

    private GetTraceResponse trace(String key, GetTraceRequest.Builder request) throws Exception {
        return await(() -> traces.getTrace().addHeader("authorization", "Bearer " + key)
                .invoke(request.setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES).build()));
    }

    private SearchTracesResponse search(String key, SearchTracesRequest.Builder request) throws Exception {
        return await(() -> traces.searchTraces().addHeader("authorization", "Bearer " + key)
                .invoke(request.setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES).build()));
    }

    /** "span depth flags" per node, in order, span ids by their fixture names. */
    private static List<String> shape(GetTraceResponse trace, Map<String, String> names) {
        return trace.getSpansList().stream().map(node -> names.get(node.getSpanId()) + " " + node.getDepth()
                + (node.getRoot() ? " root" : "") + (node.getOrphan() ? " orphan" : "")).toList();
    }

    private static Map<String, String> names(String... spans) {
        Map<String, String> names = new LinkedHashMap<>();
        Arrays.stream(spans).forEach(name -> names.put(spanId(name), name));
        return names;
    }

    @Test
    void aTraceByIdIsATreeOfEachSpanOnce() throws Exception {
        GetTraceResponse checkout = trace(ACME_KEY, GetTraceRequest.newBuilder().setTraceId(A.toUpperCase(Locale.ROOT)));
        assertEquals(A, checkout.getTraceId());
        assertEquals(List.of("a1 0 root", "a2 1", "a3 2", "a4 1", "a5 1"), shape(checkout, names("a1", "a2", "a3", "a4", "a5")));
        assertEquals(List.of(0, 1, 2, 3, 4), checkout.getSpansList().stream().map(SpanNode::getOrder).toList());
        SpanNode charge = checkout.getSpans(3);
        assertEquals(spanId("a1"), charge.getParentSpanId());
        assertEquals("payments", charge.getServiceName());
        assertEquals("charge", charge.getName());
        assertEquals(2, charge.getStatusCode());
        assertEquals(T0 + 40 * MS, charge.getStartTimeUnixNano());
        assertEquals(50 * MS, charge.getDurationNs());
        assertFalse(checkout.getTruncated());
        assertFalse(checkout.hasOtlp(), "only when asked");
        // The rows come in the same order, with every column of the table.
        try (VectorSchemaRoot rows = sdk.getTrace(A).rows(allocator)) {
            assertEquals(5, rows.getRowCount());
            assertEquals(27, rows.getSchema().getFields().size());
            for (int row = 0; row < 5; row++) {
                assertEquals(checkout.getSpans(row).getSpanId(), HexFormat.of().formatHex((byte[]) rows.getVector("span_id").getObject(row)));
            }
            assertEquals("/checkout", String.valueOf(((Map<?, ?>) mapOf(rows, "attributes", 0)).get("http.route")));
        }

        // B2 was stored twice; B3's parent was never exported: an extra root after B1's subtree, by start time.
        GetTraceResponse cart = trace(ACME_KEY, GetTraceRequest.newBuilder().setTraceId(B).setIncludeOtlp(true));
        assertEquals(List.of("b1 0 root", "b2 1", "b3 0 orphan"), shape(cart, names("b1", "b2", "b3")));
        assertEquals(MISSING_PARENT, cart.getSpans(2).getParentSpanId());
        List<String> otlpIds = new ArrayList<>();
        cart.getOtlp().getResourceSpansList().forEach(resource -> resource.getScopeSpansList().stream()
                .map(ScopeSpans::getSpansList).flatMap(List::stream).map(Span::getSpanId)
                .forEach(id -> otlpIds.add(HexFormat.of().formatHex(id.toByteArray()))));
        assertEquals(Set.of(spanId("b1"), spanId("b2"), spanId("b3")), new HashSet<>(otlpIds));
        assertEquals(3, otlpIds.size(), "each span once in OTLP too");

        GetTraceResponse noRoot = trace(ACME_KEY, GetTraceRequest.newBuilder().setTraceId(C));
        assertEquals(List.of("c1 0 orphan", "c2 1"), shape(noRoot, names("c1", "c2")));

        // A time hint that misses the trace's spans finds nothing; max_spans cuts the latest.
        StatusRuntimeException elsewhere = failure(() -> trace(ACME_KEY, GetTraceRequest.newBuilder().setTraceId(A)
                .setTimeHint(TimeRange.newBuilder().setStartUnixNano(T0 + 3_600_000 * MS).setEndUnixNano(T0 + 7_200_000 * MS))));
        assertEquals(Status.Code.NOT_FOUND, elsewhere.getStatus().getCode());
        GetTraceResponse cut = trace(ACME_KEY, GetTraceRequest.newBuilder().setTraceId(A).setMaxSpans(2).setTimeHint(RANGE));
        assertTrue(cut.getTruncated());
        assertEquals(List.of("a1 0 root", "a2 1"), shape(cut, names("a1", "a2")));
    }

    @Test
    void unknownAndMalformedIds() throws Exception {
        StatusRuntimeException unknown = failure(() -> trace(ACME_KEY, GetTraceRequest.newBuilder().setTraceId("0123456789abcdef0123456789abcdef")));
        assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
        assertTrue(unknown.getStatus().getDescription().contains("0123456789abcdef0123456789abcdef"), unknown.getStatus().getDescription());
        StatusRuntimeException malformed = failure(() -> trace(ACME_KEY, GetTraceRequest.newBuilder().setTraceId("'; SELECT 1 --")));
        assertEquals(Status.Code.INVALID_ARGUMENT, malformed.getStatus().getCode());
        assertTrue(malformed.getStatus().getDescription().startsWith("trace_id: expected a trace id of 32 hex digits"),
                malformed.getStatus().getDescription());
        StatusRuntimeException badCursor = failure(() -> search(ACME_KEY, SearchTracesRequest.newBuilder().setPageCursor("nope")));
        assertEquals(Status.Code.INVALID_ARGUMENT, badCursor.getStatus().getCode());
        assertTrue(badCursor.getStatus().getDescription().startsWith("page_cursor: "), badCursor.getStatus().getDescription());
        StatusRuntimeException unauthenticated = failure(() -> trace("no-such-key", GetTraceRequest.newBuilder().setTraceId(A)));
        assertEquals(Status.Code.UNAUTHENTICATED, unauthenticated.getStatus().getCode());
    }

    @Test
    void searchMatchesTracesWithAnySpanMatchingEveryFilter() throws Exception {
        assertEquals(List.of(A), ids(search(ACME_KEY, SearchTracesRequest.newBuilder().setTimeRange(RANGE).setServiceName("payments"))));
        assertEquals(List.of(C, A), ids(search(ACME_KEY, SearchTracesRequest.newBuilder().setTimeRange(RANGE).setErrorsOnly(true))),
                "newest first");
        assertEquals(List.of(A), ids(search(ACME_KEY, SearchTracesRequest.newBuilder().setTimeRange(RANGE).setMinDurationNs(40 * MS))));
        assertEquals(List.of(TraceFixture.D.get(1), TraceFixture.D.get(0)), ids(search(ACME_KEY, SearchTracesRequest.newBuilder()
                .setTimeRange(RANGE).setServiceName("batch").setMaxDurationNs(2 * MS))));
        assertEquals(List.of(B), ids(search(ACME_KEY, SearchTracesRequest.newBuilder().setTimeRange(RANGE)
                .addSpanAttributes(attribute("http.route", AttributeValue.newBuilder().setStringValue("/cart"))))));
        assertEquals(List.of(A), ids(search(ACME_KEY, SearchTracesRequest.newBuilder().setTimeRange(RANGE)
                .addSpanAttributes(attribute("http.status_code", AttributeValue.newBuilder().setIntValue(200))))));
        assertEquals(List.of(), ids(search(ACME_KEY, SearchTracesRequest.newBuilder().setTimeRange(RANGE)
                .addSpanAttributes(attribute("http.status_code", AttributeValue.newBuilder().setStringValue("200"))))), "typed");
        assertEquals(List.of(A), ids(search(ACME_KEY, SearchTracesRequest.newBuilder().setTimeRange(RANGE)
                .addAttributeRanges(AttributeRange.newBuilder().setKey("payment.amount").setMin(40).setMax(50)))));
        assertEquals(List.of(A), ids(search(ACME_KEY, SearchTracesRequest.newBuilder().setTimeRange(RANGE)
                .addAttributeRanges(AttributeRange.newBuilder().setKey("db.rows").setMin(10)))), "an int in a numeric range");
        assertEquals(TraceFixture.traceIds().size(), ids(search(ACME_KEY, SearchTracesRequest.newBuilder().setTimeRange(RANGE)
                .addResourceAttributes(attribute("deployment.environment", AttributeValue.newBuilder().setStringValue("prod"))))).size());
        // Service and span name on the same span: cart has load-cart in A and B, but "charge" is payments'.
        assertEquals(List.of(B, A), ids(search(ACME_KEY, SearchTracesRequest.newBuilder().setTimeRange(RANGE)
                .setServiceName("cart").setSpanName("load-cart"))));
        assertEquals(List.of(), ids(search(ACME_KEY, SearchTracesRequest.newBuilder().setTimeRange(RANGE)
                .setServiceName("cart").setSpanName("charge"))));

        // The summary covers every span of a matching trace, each once.
        TraceSummary cart = search(ACME_KEY, SearchTracesRequest.newBuilder().setTimeRange(RANGE).setSpanName("async-refresh")).getTraces(0);
        assertEquals(B, cart.getTraceId());
        assertEquals("frontend", cart.getRootServiceName());
        assertEquals("GET /cart", cart.getRootSpanName());
        assertFalse(cart.getRootMissing());
        assertEquals(T0 + 1_000 * MS, cart.getStartTimeUnixNano());
        assertEquals(23 * MS, cart.getDurationNs(), "B3 ends last, at 1023 ms");
        assertEquals(3, cart.getSpanCount(), "B2 stored twice counts once");
        assertEquals(0, cart.getErrorCount());
        assertEquals(List.of("cart", "frontend"), cart.getServiceNamesList());
        TraceSummary search = search(ACME_KEY, SearchTracesRequest.newBuilder().setTimeRange(RANGE).setServiceName("search")).getTraces(0);
        assertTrue(search.getRootMissing(), "no span without a parent");
        assertEquals("query", search.getRootSpanName(), "the earliest span stands in");
        assertEquals(1, search.getErrorCount());

        // No range: the last hour, which holds the fixture.
        SearchTracesResponse lastHour = search(ACME_KEY, SearchTracesRequest.newBuilder().setServiceName("payments"));
        assertEquals(List.of(A), ids(lastHour));
        assertEquals(3_600_000 * MS, lastHour.getTimeRange().getEndUnixNano() - lastHour.getTimeRange().getStartUnixNano());
    }

    @Test
    void pagesSeeEveryTraceOnceNewestFirst() throws Exception {
        List<String> seen = new ArrayList<>();
        List<Long> starts = new ArrayList<>();
        String cursor = "";
        int pages = 0;
        do {
            // The range only on the first page; the cursor carries it on.
            SearchTracesRequest.Builder request = SearchTracesRequest.newBuilder().setLimit(3).setPageCursor(cursor);
            SearchTracesResponse page = search(ACME_KEY, cursor.isEmpty() ? request.setTimeRange(RANGE) : request);
            page.getTracesList().forEach(trace -> {
                seen.add(trace.getTraceId());
                starts.add(trace.getStartTimeUnixNano());
            });
            cursor = page.getNextCursor();
            pages++;
        } while (!cursor.isEmpty());
        assertEquals(3, pages);
        assertEquals(TraceFixture.traceIds().size(), seen.size());
        assertEquals(new HashSet<>(TraceFixture.traceIds()), new HashSet<>(seen));
        List<Long> newestFirst = new ArrayList<>(starts);
        newestFirst.sort((x, y) -> Long.compare(y, x));
        assertEquals(newestFirst, starts);

        // The SDK pages the same way.
        TracePage first = sdk.searchTraces(SearchTracesRequest.newBuilder().setTimeRange(RANGE).setLimit(5)
                .setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES).build());
        TracePage second = sdk.searchTraces(SearchTracesRequest.newBuilder().setLimit(5).setPageCursor(first.nextCursor().orElseThrow())
                .setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES).build());
        assertEquals(5, first.traces().size());
        assertEquals(3, second.traces().size());
        assertTrue(second.nextCursor().isEmpty());
        // A cursor is for the search that made it.
        StatusRuntimeException other = failure(() -> search(ACME_KEY, SearchTracesRequest.newBuilder().setServiceName("cart")
                .setPageCursor(first.nextCursor().orElseThrow())));
        assertEquals(Status.Code.INVALID_ARGUMENT, other.getStatus().getCode());
    }

    @Test
    void servicesAndTheirOperations() throws Exception {
        ListServicesResponse services = await(() -> traces.listServices().addHeader("authorization", "Bearer " + ACME_KEY)
                .invoke(ListServicesRequest.newBuilder().setTimeRange(RANGE).setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES).build()));
        Map<String, Map<String, Long>> expected = new TreeMap<>();
        for (FixtureSpan span : TraceFixture.all()) {
            expected.computeIfAbsent(span.service(), s -> new TreeMap<>()).merge(span.name(), 1L, Long::sum);
        }
        Map<String, Map<String, Long>> actual = new LinkedHashMap<>();
        services.getServicesList().forEach(service -> {
            Map<String, Long> operations = new LinkedHashMap<>();
            service.getOperationsList().forEach(operation -> operations.put(operation.getSpanName(), operation.getSpanCount()));
            actual.put(service.getServiceName(), operations);
            assertEquals(operations.values().stream().mapToLong(Long::longValue).sum(), service.getSpanCount());
        });
        assertEquals(expected, actual, "sorted by service and span name, B2 once");
        assertEquals(2L, actual.get("cart").get("load-cart"));
        assertEquals(expected.keySet(), Set.copyOf(sdk.services(ListServicesRequest.newBuilder().setTimeRange(RANGE)
                .setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES).build()).stream().map(s -> s.serviceName()).toList()));
    }

    @Test
    void redMetricsAreTheFixturesNumbers() throws Exception {
        long bucket = 60_000 * MS;
        for (boolean bySpanName : List.of(false, true)) {
            List<RedPoint> points = await(() -> traces.getRedMetrics().addHeader("authorization", "Bearer " + ACME_KEY)
                    .invoke(GetRedMetricsRequest.newBuilder().setTimeRange(RANGE).setBucketSeconds(60).setBySpanName(bySpanName)
                            .setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES).build())).getPointsList();
            Map<String, List<FixtureSpan>> groups = new TreeMap<>();
            for (FixtureSpan span : TraceFixture.all()) {
                long start = Math.floorDiv(span.startNanos(), bucket) * bucket;
                groups.computeIfAbsent(span.service() + "|" + (bySpanName ? span.name() : "") + "|" + start, key -> new ArrayList<>()).add(span);
            }
            assertEquals(groups.size(), points.size(), points.toString());
            for (RedPoint point : points) {
                List<FixtureSpan> spans = groups.get(point.getServiceName() + "|" + point.getSpanName() + "|" + point.getBucketStartUnixNano());
                assertTrue(spans != null, "an expected point: " + point);
                long errors = spans.stream().filter(FixtureSpan::error).count();
                long covered = Math.min(point.getBucketStartUnixNano() + bucket, RANGE.getEndUnixNano())
                        - Math.max(point.getBucketStartUnixNano(), RANGE.getStartUnixNano());
                assertEquals(spans.size(), point.getRequests(), point.toString());
                assertEquals(spans.size() / (covered / 1e9), point.getRatePerSecond(), 1e-9, point.toString());
                assertEquals(errors, point.getErrors(), point.toString());
                assertEquals((double) errors / spans.size(), point.getErrorRate(), 1e-12, point.toString());
                double[] durations = spans.stream().mapToDouble(FixtureSpan::durationNanos).sorted().toArray();
                assertEquals(quantile(durations, 0.5), point.getP50Ns(), 1e-3, point.toString());
                assertEquals(quantile(durations, 0.95), point.getP95Ns(), 1e-3, point.toString());
                assertEquals(quantile(durations, 0.99), point.getP99Ns(), 1e-3, point.toString());
            }
        }
        List<RedPoint> cart = await(() -> traces.getRedMetrics().addHeader("authorization", "Bearer " + ACME_KEY)
                .invoke(GetRedMetricsRequest.newBuilder().setTimeRange(RANGE).setServiceName("cart")
                        .setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES).build())).getPointsList();
        assertEquals(4, cart.stream().mapToLong(RedPoint::getRequests).sum(), "a2, a3, b2 (once), b3");
        assertEquals(Set.of("cart"), Set.copyOf(cart.stream().map(RedPoint::getServiceName).toList()));
        StatusRuntimeException tooMany = failure(() -> await(() -> traces.getRedMetrics().addHeader("authorization", "Bearer " + ACME_KEY)
                .invoke(GetRedMetricsRequest.newBuilder().setBucketSeconds(1).setTimeRange(TimeRange.newBuilder()
                        .setStartUnixNano(T0).setEndUnixNano(T0 + 86_400_000 * MS)).build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, tooMany.getStatus().getCode());
        assertTrue(tooMany.getStatus().getDescription().startsWith("bucket_seconds: "), tooMany.getStatus().getDescription());
    }

    @Test
    void anotherTenantSeesNothing() throws Exception {
        assertEquals(List.of(), ids(search(GLOBEX_KEY, SearchTracesRequest.newBuilder().setTimeRange(RANGE))));
        assertEquals(Status.Code.NOT_FOUND, failure(() -> trace(GLOBEX_KEY, GetTraceRequest.newBuilder().setTraceId(A))).getStatus().getCode());
        assertEquals(0, await(() -> traces.listServices().addHeader("authorization", "Bearer " + GLOBEX_KEY)
                .invoke(ListServicesRequest.newBuilder().setTimeRange(RANGE).build())).getServicesCount());
        // Nor another dataset of its own: the name is only the tenant's.
        StatusRuntimeException missing = failure(() -> search(GLOBEX_KEY, SearchTracesRequest.newBuilder().setDataset("otel.traces.other")));
        assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode());
    }

    /** Through the OTLP door, after the fixture's range so the other tests' counts stay the fixture's. */
    @Test
    void anOtlpExportComesBackByIdAsItWasSent() throws Exception {
        ByteString traceId = ByteString.copyFrom(HexFormat.of().parseHex("4bf92f3577b34da6a3ce929d0e0e4736"));
        Span root = Span.newBuilder().setTraceId(traceId).setSpanId(ByteString.copyFrom(HexFormat.of().parseHex("00f067aa0ba902b7")))
                .setName("GET /export").setKind(Span.SpanKind.SPAN_KIND_SERVER).setStartTimeUnixNano(T0 + 300_000 * MS)
                .setEndTimeUnixNano(T0 + 300_040 * MS).setStatus(io.opentelemetry.proto.trace.v1.Status.getDefaultInstance()).build();
        Span child = root.toBuilder().setSpanId(ByteString.copyFrom(HexFormat.of().parseHex("00f067aa0ba902b8")))
                .setParentSpanId(root.getSpanId()).setName("write").setKind(Span.SpanKind.SPAN_KIND_INTERNAL)
                .setStartTimeUnixNano(T0 + 300_010 * MS).setEndTimeUnixNano(T0 + 300_030 * MS).build();
        ResourceSpans sent = ResourceSpans.newBuilder()
                .setResource(Resource.newBuilder().addAttributes(KeyValue.newBuilder().setKey("service.name")
                        .setValue(AnyValue.newBuilder().setStringValue("exporter"))))
                .addScopeSpans(ScopeSpans.newBuilder().setScope(InstrumentationScope.newBuilder().setName("test")).addSpans(root).addSpans(child))
                .build();
        TraceServiceClient otlp = TraceServiceClient.create(GrpcClientSettings.connectToServiceAt("127.0.0.1", server.port(), clientSystem)
                .withTls(false).withChannelBuilderOverrides(builder -> FixedAddressResolver.pin(builder, new InetSocketAddress("127.0.0.1", server.port()))), clientSystem);
        try {
            await(() -> otlp.export().addHeader("authorization", "Bearer " + ACME_KEY)
                    .invoke(ExportTraceServiceRequest.newBuilder().addResourceSpans(sent).build()));
        } finally {
            otlp.close();
        }
        GetTraceResponse trace = trace(ACME_KEY, GetTraceRequest.newBuilder().setTraceId("4bf92f3577b34da6a3ce929d0e0e4736").setIncludeOtlp(true));
        assertEquals(List.of("00f067aa0ba902b7 0 root", "00f067aa0ba902b8 1"), trace.getSpansList().stream()
                .map(node -> node.getSpanId() + " " + node.getDepth() + (node.getRoot() ? " root" : "")).toList());
        assertEquals(List.of(root, child), trace.getOtlp().getResourceSpans(0).getScopeSpans(0).getSpansList(), "OTLP in is OTLP out");
        assertEquals(sent.getResource(), trace.getOtlp().getResourceSpans(0).getResource());
    }

    @Test
    void howLongTheyTake() throws Exception {
        // Warm (the first query of a table plans its snapshot), then timed: the report quotes these.
        for (int round = 0; round < 2; round++) {
            long started = System.nanoTime();
            trace(ACME_KEY, GetTraceRequest.newBuilder().setTraceId(A));
            long byId = System.nanoTime() - started;
            started = System.nanoTime();
            search(ACME_KEY, SearchTracesRequest.newBuilder().setTimeRange(RANGE).setServiceName("cart"));
            long searched = System.nanoTime() - started;
            System.out.printf("trace timing (round %d): GetTrace %d ms, SearchTraces %d ms%n", round, byId / 1_000_000, searched / 1_000_000);
        }
        Trace sdkTrace = sdk.getTrace(A);
        assertEquals(5, sdkTrace.spans().size());
        assertEquals(100 * MS, sdkTrace.durationNanos());
    }

    private static Object mapOf(VectorSchemaRoot rows, String column, int row) {
        // DuckDB returns a map as a list of key/value structs; the value struct's string_value is what the fixture set.
        Map<String, Object> map = new LinkedHashMap<>();
        for (Object entry : (List<?>) rows.getVector(column).getObject(row)) {
            Map<?, ?> pair = (Map<?, ?>) entry;
            map.put(String.valueOf(pair.get("key")), ((Map<?, ?>) pair.get("value")).get("string_value"));
        }
        return map;
    }

    private static AttributeFilter attribute(String key, AttributeValue.Builder value) {
        return AttributeFilter.newBuilder().setKey(key).setValue(value).build();
    }

    private static List<String> ids(SearchTracesResponse response) {
        return response.getTracesList().stream().map(TraceSummary::getTraceId).toList();
    }

    /** DuckDB's quantile_cont: linear between the nearest ranks. */
    private static double quantile(double[] sorted, double q) {
        double position = q * (sorted.length - 1);
        int lower = (int) Math.floor(position);
        int upper = (int) Math.ceil(position);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }

    private interface Call {
        Object run() throws Exception;
    }

    private static StatusRuntimeException failure(Call call) {
        Exception e = assertThrows(Exception.class, call::run);
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof StatusRuntimeException status) {
                return status;
            }
        }
        throw new AssertionError("not a gRPC status", e);
    }

    private static <T> T await(Supplier<CompletionStage<T>> call) throws Exception {
        try {
            return call.get().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }
}
