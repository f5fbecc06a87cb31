package io.lakeshard.bench;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Realistic OTLP exports, as a Collector batches them: whole traces of 8–30 nested spans across 50 services until a
 * request holds about 512 spans, grouped by resource (service). Each span has 10 attributes (strings such as
 * http.route and db.statement, ints such as the status code, a double, a bool); one span in five carries an exception
 * event; about 1% of spans are errors. Traces start evenly over {@code [startNanos, startNanos + spanNanos)} in the
 * order they are generated, so a request covers a few seconds, as a live exporter's does. Deterministic per seed.
 */
final class SpanRequests {
    static final int SERVICES = 50;
    static final int TARGET_SPANS_PER_REQUEST = 512;
    static final String[] METHODS = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
    static final String[] ROUTES = {"/api/v1/orders/{id}", "/api/v1/orders", "/api/v1/users/{id}", "/api/v1/cart",
            "/api/v1/cart/items", "/api/v1/checkout", "/api/v1/products/{id}", "/api/v1/products", "/api/v1/search",
            "/api/v1/payments/{id}", "/api/v1/inventory/{sku}", "/health", "/api/v1/recommendations", "/api/v1/shipping/quote",
            "/api/v1/login", "/api/v1/session", "/api/v1/reviews/{id}", "/api/v1/coupons", "/api/v1/addresses", "/metrics"};
    static final String[] STATEMENTS = {"SELECT * FROM orders WHERE id = ?", "SELECT * FROM users WHERE id = ?",
            "UPDATE cart SET qty = ? WHERE id = ?", "INSERT INTO payments (id, amount, currency) VALUES (?, ?, ?)",
            "SELECT sku, qty FROM inventory WHERE sku IN (?, ?, ?)", "SELECT * FROM products WHERE category = ? LIMIT 50",
            "DELETE FROM sessions WHERE expires_at < ?", "SELECT count(*) FROM reviews WHERE product_id = ?"};
    static final String[] DB_SYSTEMS = {"postgresql", "mysql", "redis", "mongodb"};
    static final String[] OPERATIONS = {"HTTP GET", "HTTP POST", "handle_request", "db.query", "cache.get", "cache.set",
            "render", "serialize", "authorize", "publish", "consume", "grpc.call"};
    static final String[] EXCEPTIONS = {"java.net.SocketTimeoutException", "java.lang.IllegalStateException",
            "io.grpc.StatusRuntimeException", "java.sql.SQLTransientConnectionException"};

    private final SplittableRandom random;
    private final long startNanos;
    private final long stepNanos;
    private final Resource[] resources = new Resource[SERVICES];
    private final InstrumentationScope scope = InstrumentationScope.newBuilder().setName("io.opentelemetry.bench").setVersion("1.32.0").build();
    private long traces;

    /** One trace in what was generated: its id and start, for lookups by id and time hints. */
    record TraceRef(byte[] traceId, long startNanos) {}

    SpanRequests(long seed, long startNanos, long spanNanos, long expectedTraces) {
        this.random = new SplittableRandom(seed);
        this.startNanos = startNanos;
        this.stepNanos = Math.max(1, spanNanos / Math.max(1, expectedTraces));
        for (int s = 0; s < SERVICES; s++) {
            resources[s] = Resource.newBuilder()
                    .addAttributes(string("service.name", service(s)))
                    .addAttributes(string("service.version", "1." + (s % 7) + ".0"))
                    .addAttributes(string("host.name", "node-" + (s % 12)))
                    .addAttributes(string("deployment.environment", "production"))
                    .build();
        }
    }

    static String service(int s) {
        return "svc-%02d".formatted(s);
    }

    /** The next request of about 512 spans; the traces in it are added to {@code refs}. */
    ExportTraceServiceRequest next(List<TraceRef> refs) {
        Map<Integer, List<Span>> byService = new LinkedHashMap<>();
        int spans = 0;
        while (spans < TARGET_SPANS_PER_REQUEST) {
            spans += trace(byService, refs);
        }
        ExportTraceServiceRequest.Builder request = ExportTraceServiceRequest.newBuilder();
        byService.forEach((service, list) -> request.addResourceSpans(ResourceSpans.newBuilder()
                .setResource(resources[service])
                .addScopeSpans(ScopeSpans.newBuilder().setScope(scope).addAllSpans(list))));
        return request.build();
    }

    private int trace(Map<Integer, List<Span>> byService, List<TraceRef> refs) {
        byte[] traceId = new byte[16];
        nextBytes(traceId);
        long traceStart = startNanos + traces++ * stepNanos;
        refs.add(new TraceRef(traceId, traceStart));
        ByteString traceIdBytes = ByteString.copyFrom(traceId);
        int count = 8 + random.nextInt(23);
        int rootService = random.nextInt(SERVICES);
        long rootDuration = 5_000_000L + random.nextLong(400_000_000L);
        byte[][] spanIds = new byte[count][];
        int[] services = new int[count];
        long[] starts = new long[count];
        long[] durations = new long[count];
        for (int i = 0; i < count; i++) {
            spanIds[i] = new byte[8];
            nextBytes(spanIds[i]);
            int parent = i == 0 ? -1 : random.nextInt(i);
            services[i] = i == 0 ? rootService : (random.nextInt(3) == 0 ? random.nextInt(SERVICES) : services[parent]);
            if (i == 0) {
                starts[i] = traceStart;
                durations[i] = rootDuration;
            } else {
                long parentDuration = durations[parent];
                long offset = random.nextLong(Math.max(1, parentDuration / 2));
                starts[i] = starts[parent] + offset;
                durations[i] = 1 + random.nextLong(Math.max(1, parentDuration - offset));
            }
            Span.Builder span = Span.newBuilder()
                    .setTraceId(traceIdBytes)
                    .setSpanId(ByteString.copyFrom(spanIds[i]))
                    .setName(OPERATIONS[(services[i] + i) % OPERATIONS.length])
                    .setKind(i == 0 ? Span.SpanKind.SPAN_KIND_SERVER : Span.SpanKind.forNumber(1 + random.nextInt(5)))
                    .setStartTimeUnixNano(starts[i])
                    .setEndTimeUnixNano(starts[i] + durations[i])
                    .setFlags(0x101);
            if (parent >= 0) {
                span.setParentSpanId(ByteString.copyFrom(spanIds[parent]));
            }
            boolean error = random.nextInt(100) == 0;
            String route = ROUTES[(services[i] * 3 + random.nextInt(4)) % ROUTES.length];
            span.addAttributes(string("http.method", METHODS[random.nextInt(METHODS.length)]))
                    .addAttributes(string("http.route", route))
                    .addAttributes(integer("http.status_code", error ? 500 : (random.nextInt(20) == 0 ? 404 : 200)))
                    .addAttributes(string("db.system", DB_SYSTEMS[services[i] % DB_SYSTEMS.length]))
                    .addAttributes(string("db.statement", STATEMENTS[random.nextInt(STATEMENTS.length)]))
                    .addAttributes(string("net.peer.name", service(random.nextInt(SERVICES)) + ".internal"))
                    .addAttributes(integer("net.peer.port", 8080 + random.nextInt(4)))
                    .addAttributes(string("enduser.id", "user-" + random.nextInt(100_000)))
                    .addAttributes(KeyValue.newBuilder().setKey("app.cart.total")
                            .setValue(AnyValue.newBuilder().setDoubleValue(Math.round(random.nextDouble() * 50_000) / 100.0)))
                    .addAttributes(KeyValue.newBuilder().setKey("cache.hit")
                            .setValue(AnyValue.newBuilder().setBoolValue(random.nextBoolean())));
            if (error) {
                span.setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR).setMessage("upstream failed"));
            }
            if (random.nextInt(5) == 0) {
                String exception = EXCEPTIONS[random.nextInt(EXCEPTIONS.length)];
                span.addEvents(Span.Event.newBuilder().setName("exception").setTimeUnixNano(starts[i] + durations[i] / 2)
                        .addAttributes(string("exception.type", exception))
                        .addAttributes(string("exception.message", "request " + random.nextInt(1_000_000) + " failed"))
                        .addAttributes(string("exception.stacktrace", exception + "\n\tat io.bench.Handler.handle(Handler.java:"
                                + (40 + random.nextInt(60)) + ")\n\tat io.bench.Server.dispatch(Server.java:112)")));
            }
            byService.computeIfAbsent(services[i], s -> new ArrayList<>()).add(span.build());
        }
        return count;
    }

    private void nextBytes(byte[] bytes) {
        for (int i = 0; i < bytes.length; i += 8) {
            long value = random.nextLong();
            for (int j = i; j < Math.min(bytes.length, i + 8); j++) {
                bytes[j] = (byte) value;
                value >>>= 8;
            }
        }
    }

    private static KeyValue string(String key, String value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
    }

    private static KeyValue integer(String key, long value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setIntValue(value)).build();
    }
}
