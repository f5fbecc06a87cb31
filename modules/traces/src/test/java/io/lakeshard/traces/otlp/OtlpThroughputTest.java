package io.lakeshard.traces.otlp;

import static io.lakeshard.traces.otlp.OtlpFixtures.array;
import static io.lakeshard.traces.otlp.OtlpFixtures.attribute;
import static io.lakeshard.traces.otlp.OtlpFixtures.integer;
import static io.lakeshard.traces.otlp.OtlpFixtures.string;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Conversion speed on a collector-sized export of SDK-like spans, printed for the record. The floor is far below what
 * a laptop core does (hundreds of thousands of spans a second) so that only a gross regression, say quadratic work
 * per span, fails it on a busy machine.
 */
class OtlpThroughputTest {
    private static final int SPANS = 2048;
    /** Enough for the JIT's second tier to compile the conversions. */
    private static final int WARM_UP_ROUNDS = 30;
    private static final int MEASURED_ROUNDS = 15;
    private static final long FLOOR_SPANS_PER_SECOND = 20_000;

    private final BufferAllocator allocator = new RootAllocator();

    @AfterEach
    void close() {
        allocator.close();
    }

    /** One service, two instrumentation libraries, HTTP-server-like spans with eight attributes, one in ten with an event. */
    private static ExportTraceServiceRequest export() {
        Resource resource = Resource.newBuilder()
                .addAttributes(attribute("service.name", string("checkout")))
                .addAttributes(attribute("service.version", string("1.42.0")))
                .addAttributes(attribute("service.instance.id", string("627cc493-f310-47de-96bd-71410b7dec09")))
                .addAttributes(attribute("deployment.environment", string("production")))
                .addAttributes(attribute("host.name", string("ip-10-0-3-17.ec2.internal")))
                .addAttributes(attribute("host.arch", string("amd64")))
                .addAttributes(attribute("os.type", string("linux")))
                .addAttributes(attribute("process.pid", integer(4711)))
                .addAttributes(attribute("process.runtime.name", string("OpenJDK Runtime Environment")))
                .addAttributes(attribute("process.runtime.version", string("17.0.12+7")))
                .addAttributes(attribute("process.command_args", array(string("java"), string("-jar"), string("checkout.jar"))))
                .addAttributes(attribute("telemetry.sdk.name", string("opentelemetry")))
                .addAttributes(attribute("telemetry.sdk.language", string("java")))
                .addAttributes(attribute("telemetry.sdk.version", string("1.42.1")))
                .build();
        ResourceSpans.Builder resourceSpans = ResourceSpans.newBuilder().setResource(resource)
                .setSchemaUrl("https://opentelemetry.io/schemas/1.24.0");
        OtlpFixtures.Clock clock = new OtlpFixtures.Clock();
        for (String library : new String[] {"io.opentelemetry.tomcat-10.0", "io.opentelemetry.jdbc"}) {
            ScopeSpans.Builder scope = resourceSpans.addScopeSpansBuilder()
                    .setScope(InstrumentationScope.newBuilder().setName(library).setVersion("2.8.0-alpha"));
            for (int i = 0; i < SPANS / 2; i++) {
                Span.Builder span = OtlpFixtures.child(clock, i / 8, i % 8 + 2, 1, "GET /api/cart/{id}", Span.SpanKind.SPAN_KIND_SERVER)
                        .setFlags(0x301)
                        .addAttributes(attribute("http.request.method", string("GET")))
                        .addAttributes(attribute("http.route", string("/api/cart/{id}")))
                        .addAttributes(attribute("url.path", string("/api/cart/" + i)))
                        .addAttributes(attribute("url.scheme", string("https")))
                        .addAttributes(attribute("http.response.status_code", integer(200)))
                        .addAttributes(attribute("server.address", string("checkout.internal")))
                        .addAttributes(attribute("server.port", integer(8443)))
                        .addAttributes(attribute("user_agent.original", string("Mozilla/5.0 (X11; Linux x86_64)")))
                        .setStatus(Status.getDefaultInstance());
                if (i % 10 == 0) {
                    span.addEvents(Span.Event.newBuilder().setTimeUnixNano(span.getStartTimeUnixNano() + 10)
                            .setName("exception")
                            .addAttributes(attribute("exception.type", string("java.net.SocketTimeoutException"))));
                }
                scope.addSpans(span);
            }
        }
        return ExportTraceServiceRequest.newBuilder().addResourceSpans(resourceSpans).build();
    }

    @Test
    void convertsACollectorSizedExportQuickly() throws Exception {
        ExportTraceServiceRequest request = export();
        byte[] wire = request.toByteArray();
        long toArrowNanos = 0;
        long toOtlpNanos = 0;
        TracesData back = null;
        for (int round = 0; round < WARM_UP_ROUNDS + MEASURED_ROUNDS; round++) {
            long started = System.nanoTime();
            try (OtlpToArrow.Converted converted = OtlpToArrow.convert(ExportTraceServiceRequest.parseFrom(wire), allocator)) {
                long convertedAt = System.nanoTime();
                VectorSchemaRoot spans = converted.spans();
                assertEquals(SPANS, spans.getRowCount());
                back = ArrowToOtlp.toTracesData(spans);
                if (round >= WARM_UP_ROUNDS) {
                    toArrowNanos += convertedAt - started;
                    toOtlpNanos += System.nanoTime() - convertedAt;
                }
            }
        }
        assertEquals(OtlpFixtures.asTracesData(request), back);
        long measured = (long) MEASURED_ROUNDS * SPANS * TimeUnit.SECONDS.toNanos(1);
        long toArrow = measured / toArrowNanos;
        long toOtlp = measured / toOtlpNanos;
        System.out.println("OTLP bytes -> parsed -> Arrow: " + toArrow + " spans/s; Arrow -> TracesData: " + toOtlp
                + " spans/s (" + wire.length / SPANS + " bytes a span on the wire)");
        assertTrue(toArrow > FLOOR_SPANS_PER_SECOND, toArrow + " spans/s");
        assertTrue(toOtlp > FLOOR_SPANS_PER_SECOND, toOtlp + " spans/s");
    }
}
