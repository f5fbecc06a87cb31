package io.lakeshard.traces.otlp;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * OTLP requests for the tests. {@link #everything()} holds every field the span table keeps, each in its corner
 * cases, in the canonical form a round trip returns (resource, scope and status present, keys unique, resources and
 * scopes distinct); its spans start in the order they are listed, so a query ordered by start time returns them so.
 */
final class OtlpFixtures {
    /** 2026-01-01T00:00:00.123456789Z: nanoseconds that are not whole microseconds. */
    static final long START = 1_767_225_600_123_456_789L;
    static final String RED = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";

    private OtlpFixtures() {}

    static ByteString traceId(long n) {
        return ByteString.copyFrom(ByteBuffer.allocate(16).putLong(0x5B8EFFF798038103L).putLong(n).flip());
    }

    static ByteString spanId(long n) {
        return ByteString.copyFrom(ByteBuffer.allocate(8).putLong(0xEEE19B7EC3C1B100L + n).flip());
    }

    static KeyValue attribute(String key, AnyValue value) {
        return KeyValue.newBuilder().setKey(key).setValue(value).build();
    }

    static AnyValue string(String value) {
        return AnyValue.newBuilder().setStringValue(value).build();
    }

    static AnyValue integer(long value) {
        return AnyValue.newBuilder().setIntValue(value).build();
    }

    static AnyValue bool(boolean value) {
        return AnyValue.newBuilder().setBoolValue(value).build();
    }

    static AnyValue real(double value) {
        return AnyValue.newBuilder().setDoubleValue(value).build();
    }

    static AnyValue array(AnyValue... values) {
        return AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder().addAllValues(List.of(values))).build();
    }

    static AnyValue kvlist(KeyValue... values) {
        return AnyValue.newBuilder().setKvlistValue(KeyValueList.newBuilder().addAllValues(List.of(values))).build();
    }

    static List<KeyValue> everyType() {
        return List.of(
                attribute("string", string("naïve ☃ 日本")),
                attribute("empty.string", string("")),
                attribute("bool.true", bool(true)),
                attribute("bool.false", bool(false)),
                attribute("int", integer(-42)),
                attribute("int.zero", integer(0)),
                attribute("int.max", integer(Long.MAX_VALUE)),
                attribute("double", real(3.25)),
                attribute("double.negative.zero", real(-0.0)),
                attribute("double.nan", real(Double.NaN)),
                attribute("bytes", AnyValue.newBuilder().setBytesValue(ByteString.copyFrom(new byte[] {0, 1, (byte) 0xff})).build()),
                attribute("bytes.empty", AnyValue.newBuilder().setBytesValue(ByteString.EMPTY).build()),
                attribute("array.mixed", array(string("a"), integer(1), bool(false), real(1.5),
                        array(string("nested")), kvlist(attribute("k", string("v"))), AnyValue.getDefaultInstance())),
                attribute("array.empty", array()),
                attribute("kvlist", kvlist(attribute("a", string("x")),
                        attribute("b", kvlist(attribute("c", array(integer(7))), attribute("none", AnyValue.getDefaultInstance()))))),
                attribute("empty.value", AnyValue.getDefaultInstance()),
                KeyValue.newBuilder().setKey("no.value").build(),
                attribute("", string("the empty key")));
    }

    /** Several resources and scopes, every attribute type, every span field set and unset. */
    static ExportTraceServiceRequest everything() {
        Clock clock = new Clock();
        ResourceSpans checkout = ResourceSpans.newBuilder()
                .setResource(Resource.newBuilder()
                        .addAttributes(attribute("service.name", string("checkout")))
                        .addAllAttributes(everyType())
                        .setDroppedAttributesCount(3))
                .setSchemaUrl("https://opentelemetry.io/schemas/1.24.0")
                .addScopeSpans(ScopeSpans.newBuilder()
                        .setScope(InstrumentationScope.newBuilder()
                                .setName("io.opentelemetry.http")
                                .setVersion("1.2.3")
                                .addAttributes(attribute("scope.kind", string("library")))
                                .addAttributes(attribute("scope.list", array(integer(1), integer(2))))
                                .setDroppedAttributesCount(1))
                        .setSchemaUrl("https://opentelemetry.io/schemas/1.21.0")
                        .addSpans(root(clock, 1, "GET /cart", Span.SpanKind.SPAN_KIND_SERVER)
                                .setTraceState(RED)
                                .setFlags(0x301)
                                .addAllAttributes(everyType())
                                .setDroppedAttributesCount(2)
                                .addEvents(Span.Event.newBuilder()
                                        .setTimeUnixNano(START + 17)
                                        .setName("exception")
                                        .addAttributes(attribute("exception.type", string("java.lang.IllegalStateException")))
                                        .addAttributes(attribute("exception.escaped", bool(true)))
                                        .setDroppedAttributesCount(5))
                                .addEvents(Span.Event.newBuilder().setTimeUnixNano(START + 18))
                                .setDroppedEventsCount(4)
                                .addLinks(Span.Link.newBuilder()
                                        .setTraceId(traceId(99))
                                        .setSpanId(spanId(99))
                                        .setTraceState(RED)
                                        .addAttributes(attribute("link.kind", string("follows_from")))
                                        .setDroppedAttributesCount(6)
                                        .setFlags(0x101))
                                .addLinks(Span.Link.newBuilder().setTraceId(traceId(98)).setSpanId(spanId(98)))
                                .setDroppedLinksCount(7)
                                .setStatus(Status.newBuilder()
                                        .setCode(Status.StatusCode.STATUS_CODE_ERROR)
                                        .setMessage("payment declined: café")))
                        .addSpans(child(clock, 1, 2, 1, "SELECT cart", Span.SpanKind.SPAN_KIND_CLIENT)
                                .setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_OK)))
                        .addSpans(child(clock, 1, 3, 1, "", Span.SpanKind.SPAN_KIND_INTERNAL)
                                .setFlags(0xFFFFFFFF)
                                .setDroppedAttributesCount(-1)
                                .setDroppedEventsCount(-1)
                                .setDroppedLinksCount(-1)))
                .addScopeSpans(ScopeSpans.newBuilder()
                        .setScope(InstrumentationScope.newBuilder().setName("kafka-clients"))
                        .addSpans(child(clock, 1, 4, 1, "publish orders", Span.SpanKind.SPAN_KIND_PRODUCER))
                        .addSpans(root(clock, 2, "process orders", Span.SpanKind.SPAN_KIND_CONSUMER)
                                .addLinks(Span.Link.newBuilder().setTraceId(traceId(1)).setSpanId(spanId(4)))))
                .build();
        ResourceSpans nameless = ResourceSpans.newBuilder()
                .setResource(Resource.newBuilder()
                        .addAttributes(attribute("process.command_args", array(string("java"), string("-jar"), string("app.jar"))))
                        .setDroppedAttributesCount(-1))
                .addScopeSpans(ScopeSpans.newBuilder()
                        .setScope(InstrumentationScope.getDefaultInstance())
                        .addSpans(root(clock, 3, "unspecified", Span.SpanKind.SPAN_KIND_UNSPECIFIED))
                        .addSpans(root(clock, 4, "a kind from the future", Span.SpanKind.SPAN_KIND_UNSPECIFIED).setKindValue(9)))
                .build();
        ResourceSpans numberedService = ResourceSpans.newBuilder()
                .setResource(Resource.newBuilder().addAttributes(attribute("service.name", integer(7))))
                .addScopeSpans(ScopeSpans.newBuilder()
                        .setScope(InstrumentationScope.newBuilder().setName("io.opentelemetry.http").setVersion("1.2.3"))
                        .addSpans(root(clock, 5, "zero length", Span.SpanKind.SPAN_KIND_SERVER)
                                .setEndTimeUnixNano(clock.last())
                                .setStatus(Status.newBuilder().setCodeValue(5).setMessage("a code from the future")))
                        // The latest start a signed count of nanoseconds holds, in the year 2262.
                        .addSpans(root(clock, 6, "the end of time", Span.SpanKind.SPAN_KIND_INTERNAL)
                                .setStartTimeUnixNano(Long.MAX_VALUE - 1)
                                .setEndTimeUnixNano(Long.MAX_VALUE)))
                .build();
        return ExportTraceServiceRequest.newBuilder()
                .addResourceSpans(checkout)
                .addResourceSpans(nameless)
                .addResourceSpans(numberedService)
                .build();
    }

    static TracesData asTracesData(ExportTraceServiceRequest request) {
        return TracesData.newBuilder().addAllResourceSpans(request.getResourceSpansList()).build();
    }

    /** A span with its ids, name, kind and times: each span starts after the one built before it. */
    static Span.Builder root(Clock clock, long trace, String name, Span.SpanKind kind) {
        long start = clock.next();
        return Span.newBuilder()
                .setTraceId(traceId(trace))
                .setSpanId(spanId(trace * 100 + 1))
                .setName(name)
                .setKind(kind)
                .setStartTimeUnixNano(start)
                .setEndTimeUnixNano(start + 1_234_567_891L)
                .setStatus(Status.getDefaultInstance());
    }

    static Span.Builder child(Clock clock, long trace, long span, long parent, String name, Span.SpanKind kind) {
        return root(clock, trace, name, kind).setSpanId(spanId(trace * 100 + span)).setParentSpanId(spanId(trace * 100 + parent));
    }

    /** Start times a little apart, never on a whole microsecond. */
    static final class Clock {
        private long last = START;

        long next() {
            last += 1_000_003;
            return last;
        }

        long last() {
            return last;
        }
    }
}
