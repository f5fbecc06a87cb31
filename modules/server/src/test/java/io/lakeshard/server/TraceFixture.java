package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.lakeshard.arrow.ArrowStreams;
import io.lakeshard.service.LakeshardService;
import io.lakeshard.service.Principal;
import io.lakeshard.service.ingest.WriteRequest;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import io.lakeshard.traces.SpanSchema;
import io.lakeshard.traces.otlp.OtlpToArrow;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A few traces, written as OTLP ingest writes them (OTLP spans converted by the traces module) through the service
 * layer, in two writes:
 *
 * <ul>
 *   <li>A, a checkout: a root, two levels of children, an error span (payments), a double and an int attribute;
 *   <li>B, a cart view: a root and a child that a retried export stored twice (once in each write), and an orphan
 *       whose parent was never exported;
 *   <li>C, a search with no root: its first span's parent is missing (an orphan), and it is an error;
 *   <li>D1..D5, one span each, for paging.
 * </ul>
 *
 * Every span starts within a few seconds of {@link #T0}, ten minutes ago, so "the last hour" holds them all.
 */
final class TraceFixture {
    static final long MS = 1_000_000L;
    /** Ten minutes ago, to the second. */
    static final long T0 = Instant.now().minus(10, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS).getEpochSecond() * 1_000_000_000L;
    static final String A = traceId(0xA);
    static final String B = traceId(0xB);
    static final String C = traceId(0xC);
    static final List<String> D = List.of(traceId(0xD1), traceId(0xD2), traceId(0xD3), traceId(0xD4), traceId(0xD5));
    static final String MISSING_PARENT = "ffffffffffffff00";

    /** A span as the fixture writes it. */
    record FixtureSpan(String traceId, String spanId, String parentSpanId, String service, String name, long startNanos,
                       long durationNanos, int statusCode, List<KeyValue> attributes) {
        boolean error() {
            return statusCode == Status.StatusCode.STATUS_CODE_ERROR_VALUE;
        }
    }

    static final FixtureSpan A1 = span(A, "a1", "", "frontend", "GET /checkout", 0, 100 * MS, 0,
            attribute("http.route", string("/checkout")), attribute("http.status_code", integer(200)));
    static final FixtureSpan A2 = span(A, "a2", "a1", "cart", "load-cart", 5 * MS, 30 * MS, 0, attribute("db.rows", integer(12)));
    static final FixtureSpan A3 = span(A, "a3", "a2", "cart", "SELECT cart", 10 * MS, 15 * MS, 0);
    static final FixtureSpan A4 = span(A, "a4", "a1", "payments", "charge", 40 * MS, 50 * MS, 2,
            attribute("payment.amount", AnyValue.newBuilder().setDoubleValue(42.5).build()));
    static final FixtureSpan A5 = span(A, "a5", "a1", "frontend", "render", 92 * MS, 6 * MS, 1);
    static final FixtureSpan B1 = span(B, "b1", "", "frontend", "GET /cart", 1_000 * MS, 20 * MS, 0, attribute("http.route", string("/cart")));
    static final FixtureSpan B2 = span(B, "b2", "b1", "cart", "load-cart", 1_002 * MS, 10 * MS, 0);
    static final FixtureSpan B3 = span(B, "b3", MISSING_PARENT, "cart", "async-refresh", 1_015 * MS, 8 * MS, 0);
    static final FixtureSpan C1 = span(C, "c1", MISSING_PARENT, "search", "query", 2_000 * MS, 5 * MS, 2);
    static final FixtureSpan C2 = span(C, "c2", "c1", "search", "index-lookup", 2_001 * MS, 3 * MS, 0);

    /** The first write; B2 is in both. */
    static final List<FixtureSpan> FIRST = first();
    static final List<FixtureSpan> SECOND = List.of(B2, B3, C1, C2);

    private TraceFixture() {}

    /** Every span once. */
    static List<FixtureSpan> all() {
        Map<String, FixtureSpan> spans = new LinkedHashMap<>();
        FIRST.forEach(span -> spans.put(span.traceId() + span.spanId(), span));
        SECOND.forEach(span -> spans.put(span.traceId() + span.spanId(), span));
        return List.copyOf(spans.values());
    }

    /** Every trace id, A first. */
    static List<String> traceIds() {
        List<String> ids = new ArrayList<>(List.of(A, B, C));
        ids.addAll(D);
        return ids;
    }

    /** The span ids as the API shows them: 16 hex digits. */
    static String spanId(String name) {
        return String.format("%016x", name.chars().asLongStream().reduce(0, (id, c) -> id * 256 + c));
    }

    /** Registers the trace dataset for {@code tenant} and writes the fixture's two writes into it. */
    static void write(LakeshardService service, BufferAllocator allocator, String tenant) throws Exception {
        Principal principal = Principal.tenant(tenant);
        service.datasets().register(principal, SpanSchema.DEFAULT_DATASET, SpanSchema.definition(), MaintenancePolicy.defaults())
                .toCompletableFuture().get(60, TimeUnit.SECONDS);
        write(service, allocator, principal, FIRST, 1);
        write(service, allocator, principal, SECOND, 2);
    }

    /** Registers an empty trace dataset for {@code tenant}. */
    static void register(LakeshardService service, String tenant) throws Exception {
        service.datasets().register(Principal.tenant(tenant), SpanSchema.DEFAULT_DATASET, SpanSchema.definition(),
                MaintenancePolicy.defaults()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    private static void write(LakeshardService service, BufferAllocator allocator, Principal principal, List<FixtureSpan> spans,
            long sequence) throws Exception {
        OtlpToArrow.Converted converted = OtlpToArrow.convert(otlp(spans), allocator);
        assertEquals(0, converted.rejectedSpans(), converted.errorMessage());
        VectorSchemaRoot batch = converted.spans();
        // Ingest closes the batch once the write is acknowledged.
        service.ingest().write(principal, WriteRequest.of(SpanSchema.DEFAULT_DATASET.toString(), "trace-fixture", sequence,
                ArrowStreams.write(batch).length), batch).toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    /** One resource per service, as each service's SDK exports its own spans. */
    private static List<ResourceSpans> otlp(List<FixtureSpan> spans) {
        Map<String, ScopeSpans.Builder> byService = new LinkedHashMap<>();
        for (FixtureSpan span : spans) {
            Span.Builder otlp = Span.newBuilder()
                    .setTraceId(bytes(span.traceId()))
                    .setSpanId(bytes(spanId(span.spanId())))
                    .setName(span.name())
                    .setKind(Span.SpanKind.SPAN_KIND_SERVER)
                    .setStartTimeUnixNano(span.startNanos())
                    .setEndTimeUnixNano(span.startNanos() + span.durationNanos())
                    .setStatus(Status.newBuilder().setCodeValue(span.statusCode()))
                    .addAllAttributes(span.attributes());
            if (!span.parentSpanId().isEmpty()) {
                otlp.setParentSpanId(bytes(span.parentSpanId().equals(MISSING_PARENT) ? MISSING_PARENT : spanId(span.parentSpanId())));
            }
            byService.computeIfAbsent(span.service(), service -> ScopeSpans.newBuilder()).addSpans(otlp);
        }
        List<ResourceSpans> resources = new ArrayList<>();
        byService.forEach((service, scope) -> resources.add(ResourceSpans.newBuilder()
                .setResource(Resource.newBuilder()
                        .addAttributes(attribute("service.name", string(service)))
                        .addAttributes(attribute("deployment.environment", string("prod"))))
                .addScopeSpans(scope).build()));
        return resources;
    }

    private static List<FixtureSpan> first() {
        List<FixtureSpan> spans = new ArrayList<>(List.of(A1, A2, A3, A4, A5, B1, B2));
        for (int i = 0; i < D.size(); i++) {
            spans.add(span(D.get(i), "d" + (i + 1), "", "batch", "run", (3_000 + 100L * i) * MS, (i + 1) * MS, 0));
        }
        return List.copyOf(spans);
    }

    private static FixtureSpan span(String trace, String id, String parent, String service, String name, long offset, long duration,
            int status, KeyValue... attributes) {
        return new FixtureSpan(trace, id, parent, service, name, T0 + offset, duration, status, List.of(attributes));
    }

    private static String traceId(long n) {
        return String.format("5b8efff798038103%016x", n);
    }

    private static ByteString bytes(String hex) {
        return ByteString.copyFrom(HexFormat.of().parseHex(hex));
    }

    private static KeyValue attribute(String key, AnyValue value) {
        return KeyValue.newBuilder().setKey(key).setValue(value).build();
    }

    private static AnyValue string(String value) {
        return AnyValue.newBuilder().setStringValue(value).build();
    }

    private static AnyValue integer(long value) {
        return AnyValue.newBuilder().setIntValue(value).build();
    }
}
