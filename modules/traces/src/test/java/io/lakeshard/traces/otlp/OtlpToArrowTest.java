package io.lakeshard.traces.otlp;

import static io.lakeshard.traces.otlp.OtlpFixtures.attribute;
import static io.lakeshard.traces.otlp.OtlpFixtures.integer;
import static io.lakeshard.traces.otlp.OtlpFixtures.root;
import static io.lakeshard.traces.otlp.OtlpFixtures.spanId;
import static io.lakeshard.traces.otlp.OtlpFixtures.string;
import static io.lakeshard.traces.otlp.OtlpFixtures.traceId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.lakeshard.traces.SpanSchema;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OtlpToArrowTest {
    private final BufferAllocator allocator = new RootAllocator();

    @AfterEach
    void close() {
        allocator.close();
    }

    @Test
    void everyFieldRoundTripsThroughArrow() {
        ExportTraceServiceRequest request = OtlpFixtures.everything();
        try (OtlpToArrow.Converted converted = OtlpToArrow.convert(request, allocator)) {
            assertEquals(0, converted.rejectedSpans());
            assertEquals("", converted.errorMessage());
            assertEquals(Optional.empty(), converted.partialSuccess());
            assertEquals(SpanSchema.SCHEMA, converted.spans().getSchema());
            assertEquals(9, converted.spans().getRowCount());
            assertEquals(OtlpFixtures.asTracesData(request), ArrowToOtlp.toTracesData(converted.spans()));
        }
    }

    @Test
    void derivedAndOptionalColumnsAreFilledAsTheSchemaSays() {
        try (OtlpToArrow.Converted converted = OtlpToArrow.convert(OtlpFixtures.everything(), allocator)) {
            VectorSchemaRoot spans = converted.spans();
            VarCharVector services = (VarCharVector) spans.getVector(SpanSchema.SERVICE_NAME);
            assertEquals(List.of("checkout", "checkout", "checkout", "checkout", "checkout",
                            SpanSchema.UNKNOWN_SERVICE, SpanSchema.UNKNOWN_SERVICE, SpanSchema.UNKNOWN_SERVICE,
                            SpanSchema.UNKNOWN_SERVICE),
                    IntStream.range(0, spans.getRowCount()).mapToObj(i -> services.getObject(i).toString()).toList(),
                    "the resource's service.name string, else unknown_service (also when it is not a string)");
            TimeStampMicroTZVector starts = (TimeStampMicroTZVector) spans.getVector(SpanSchema.START_TIME);
            assertEquals((OtlpFixtures.START + 1_000_003) / 1000, starts.get(0), "microseconds, truncated");
            assertEquals(Long.MAX_VALUE / 1000, starts.get(8));
            assertTrue(spans.getVector(SpanSchema.PARENT_SPAN_ID).isNull(0), "a root has a null parent");
            assertFalse(spans.getVector(SpanSchema.PARENT_SPAN_ID).isNull(1));
            assertTrue(spans.getVector(SpanSchema.TRACE_STATE).isNull(1), "an empty string is null");
            assertTrue(spans.getVector(SpanSchema.STATUS_MESSAGE).isNull(1));
            assertTrue(spans.getVector(SpanSchema.SCOPE_VERSION).isNull(3));
            assertTrue(spans.getVector(SpanSchema.RESOURCE_SCHEMA_URL).isNull(5));
            assertEquals("", spans.getVector(SpanSchema.NAME).getObject(2).toString(), "a span's name is required: empty stays empty");
            assertEquals(0xFFFFFFFFL, spans.getVector(SpanSchema.FLAGS).getObject(2), "uint32 read as unsigned");
            assertEquals(0xFFFFFFFFL, spans.getVector(SpanSchema.RESOURCE_DROPPED_ATTRIBUTES_COUNT).getObject(5));
            assertEquals(0L, spans.getVector(SpanSchema.DURATION_NS).getObject(7));
        }
    }

    @Test
    void anEmptyRequestIsAnEmptyBatch() {
        try (OtlpToArrow.Converted converted = OtlpToArrow.convert(ExportTraceServiceRequest.getDefaultInstance(), allocator)) {
            assertEquals(0, converted.spans().getRowCount());
            assertEquals(0, converted.rejectedSpans());
            assertEquals(TracesData.getDefaultInstance(), ArrowToOtlp.toTracesData(converted.spans()));
        }
        ExportTraceServiceRequest noSpans = ExportTraceServiceRequest.newBuilder()
                .addResourceSpans(ResourceSpans.newBuilder().addScopeSpans(ScopeSpans.getDefaultInstance()))
                .build();
        try (OtlpToArrow.Converted converted = OtlpToArrow.convert(noSpans, allocator)) {
            assertEquals(0, converted.spans().getRowCount());
        }
    }

    @Test
    void invalidSpansAreRejectedOneByOneAndTheRestKept() {
        OtlpFixtures.Clock clock = new OtlpFixtures.Clock();
        Span valid = root(clock, 1, "valid", Span.SpanKind.SPAN_KIND_SERVER).build();
        List<Span> invalid = List.of(
                valid.toBuilder().setTraceId(ByteString.EMPTY).build(),
                valid.toBuilder().setTraceId(ByteString.copyFrom(new byte[16])).build(),
                valid.toBuilder().setSpanId(ByteString.copyFrom(new byte[7])).build(),
                valid.toBuilder().setSpanId(ByteString.copyFrom(new byte[8])).build(),
                valid.toBuilder().setParentSpanId(ByteString.copyFrom(new byte[4])).build(),
                valid.toBuilder().setStartTimeUnixNano(-1).setEndTimeUnixNano(-1).build(),
                valid.toBuilder().setEndTimeUnixNano(valid.getStartTimeUnixNano() - 1).build(),
                valid.toBuilder().setEndTimeUnixNano(Long.MIN_VALUE).build(),
                valid.toBuilder().addLinks(Span.Link.newBuilder().setTraceId(traceId(2)).setSpanId(ByteString.EMPTY)).build());
        ScopeSpans.Builder second = ScopeSpans.newBuilder().addSpans(valid.toBuilder().setSpanId(spanId(2)));
        invalid.forEach(second::addSpans);
        ExportTraceServiceRequest request = ExportTraceServiceRequest.newBuilder()
                .addResourceSpans(ResourceSpans.newBuilder()
                        .addScopeSpans(ScopeSpans.newBuilder().addSpans(valid))
                        .addScopeSpans(second.addSpans(valid.toBuilder().setSpanId(spanId(3)))))
                .build();
        try (OtlpToArrow.Converted converted = OtlpToArrow.convert(request, allocator)) {
            assertEquals(9, converted.rejectedSpans());
            FixedSizeBinaryVector spanIds = (FixedSizeBinaryVector) converted.spans().getVector(SpanSchema.SPAN_ID);
            assertEquals(List.of(valid.getSpanId(), spanId(2), spanId(3)),
                    IntStream.range(0, converted.spans().getRowCount()).mapToObj(i -> ByteString.copyFrom(spanIds.get(i))).toList());
            assertEquals("9 of 12 spans rejected: "
                    + "span 1 of resource 0 scope 1: trace_id must be 16 bytes, not all zero (got 0 bytes); "
                    + "span 2 of resource 0 scope 1: trace_id must be 16 bytes, not all zero (got 16 zero bytes); "
                    + "span 3 of resource 0 scope 1: span_id must be 8 bytes, not all zero (got 7 bytes); "
                    + "span 4 of resource 0 scope 1: span_id must be 8 bytes, not all zero (got 8 zero bytes); "
                    + "span 5 of resource 0 scope 1: parent_span_id must be empty or 8 bytes (got 4 bytes); "
                    + "and 4 more", converted.errorMessage());
            assertEquals(Optional.of(ExportTracePartialSuccess.newBuilder().setRejectedSpans(9)
                    .setErrorMessage(converted.errorMessage()).build()), converted.partialSuccess());
        }
        List<String> reasons = new ArrayList<>();
        for (Span span : invalid.subList(5, invalid.size())) {
            ExportTraceServiceRequest one = ExportTraceServiceRequest.newBuilder()
                    .addResourceSpans(ResourceSpans.newBuilder().addScopeSpans(ScopeSpans.newBuilder().addSpans(span)))
                    .build();
            try (OtlpToArrow.Converted converted = OtlpToArrow.convert(one, allocator)) {
                assertEquals(0, converted.spans().getRowCount());
                reasons.add(converted.errorMessage());
            }
        }
        long start = valid.getStartTimeUnixNano();
        assertEquals(List.of(
                "1 of 1 spans rejected: span 0 of resource 0 scope 0: start_time_unix_nano 18446744073709551615 is after the year 2262",
                "1 of 1 spans rejected: span 0 of resource 0 scope 0: end_time_unix_nano " + (start - 1)
                        + " is before start_time_unix_nano " + start,
                "1 of 1 spans rejected: span 0 of resource 0 scope 0: end_time_unix_nano 9223372036854775808 is after the year 2262",
                "1 of 1 spans rejected: span 0 of resource 0 scope 0: link 0: span_id must be 8 bytes (got 0 bytes)"), reasons);
    }

    @Test
    void aRepeatedKeyKeepsItsFirstValue() {
        List<KeyValue> many = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            many.add(attribute("k" + i, integer(i)));
        }
        many.add(attribute("k3", integer(-3)));
        OtlpFixtures.Clock clock = new OtlpFixtures.Clock();
        ExportTraceServiceRequest request = ExportTraceServiceRequest.newBuilder()
                .addResourceSpans(ResourceSpans.newBuilder()
                        .setResource(Resource.newBuilder()
                                .addAttributes(attribute("service.name", string("first")))
                                .addAttributes(attribute("service.name", string("second"))))
                        .addScopeSpans(ScopeSpans.newBuilder()
                                .setScope(InstrumentationScope.newBuilder().addAllAttributes(many))
                                .addSpans(root(clock, 1, "few", Span.SpanKind.SPAN_KIND_SERVER)
                                        .addAttributes(attribute("a", integer(1)))
                                        .addAttributes(attribute("b", integer(2)))
                                        .addAttributes(attribute("a", integer(3))))))
                .build();
        try (OtlpToArrow.Converted converted = OtlpToArrow.convert(request, allocator)) {
            assertEquals("first", converted.spans().getVector(SpanSchema.SERVICE_NAME).getObject(0).toString());
            ResourceSpans back = ArrowToOtlp.toTracesData(converted.spans()).getResourceSpans(0);
            assertEquals(List.of(attribute("service.name", string("first"))), back.getResource().getAttributesList());
            assertEquals(many.subList(0, 20), back.getScopeSpans(0).getScope().getAttributesList());
            assertEquals(List.of(attribute("a", integer(1)), attribute("b", integer(2))),
                    back.getScopeSpans(0).getSpans(0).getAttributesList());
        }
    }
}
