package io.lakeshard.traces.otlp;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.lakeshard.traces.SpanSchema;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.MapVector;
import org.apache.arrow.vector.complex.StructVector;

/**
 * OTLP spans as rows of {@link SpanSchema#SCHEMA}, one batch per export. A span that cannot be stored is rejected on
 * its own and the rest are kept, as OTLP's partial success expects: a trace id that is not 16 bytes or is all zero,
 * a span id that is not 8 bytes or is all zero, a parent span id that is neither empty nor 8 bytes, a link whose ids
 * do not have those sizes, a start time past what a signed 64-bit count of nanoseconds holds (year 2262; Delta's
 * timestamps reach 9999, so nothing accepted is out of their range) or an end before the start.
 *
 * <p>Vectors are written directly, sized once for the whole request: this runs on every export.
 */
public final class OtlpToArrow {
    private static final long NANOS_PER_MICRO = 1_000L;
    private static final int TRACE_ID_BYTES = 16;
    private static final int SPAN_ID_BYTES = 8;
    /** How many rejections the error message names; the count covers them all. */
    private static final int REASONS_NAMED = 5;
    private static final String SERVICE_NAME_KEY = "service.name";
    private static final ByteString UNKNOWN_SERVICE = ByteString.copyFromUtf8(SpanSchema.UNKNOWN_SERVICE);

    /** The spans that were kept, and what was rejected, for the export's response. */
    public record Converted(VectorSchemaRoot spans, long rejectedSpans, String errorMessage) implements AutoCloseable {
        public Converted {
            requireNonNull(spans, "spans is null");
            requireNonNull(errorMessage, "errorMessage is null");
        }

        /** OTLP's partial success when spans were rejected; empty (a full success) when none were. */
        public Optional<ExportTracePartialSuccess> partialSuccess() {
            if (rejectedSpans == 0) {
                return Optional.empty();
            }
            return Optional.of(ExportTracePartialSuccess.newBuilder()
                    .setRejectedSpans(rejectedSpans)
                    .setErrorMessage(errorMessage)
                    .build());
        }

        @Override
        public void close() {
            spans.close();
        }
    }

    private final VectorSchemaRoot root;
    private final Scratch scratch = new Scratch();
    private final FixedSizeBinaryVector traceIds;
    private final FixedSizeBinaryVector spanIds;
    private final FixedSizeBinaryVector parentSpanIds;
    private final VarCharVector traceStates;
    private final BigIntVector flags;
    private final VarCharVector names;
    private final IntVector kinds;
    private final TimeStampMicroTZVector startTimes;
    private final BigIntVector startNanos;
    private final BigIntVector durations;
    private final IntVector statusCodes;
    private final VarCharVector statusMessages;
    private final VarCharVector serviceNames;
    private final AttributeWriter resourceAttributes;
    private final BigIntVector resourceDropped;
    private final VarCharVector resourceSchemaUrls;
    private final VarCharVector scopeNames;
    private final VarCharVector scopeVersions;
    private final AttributeWriter scopeAttributes;
    private final BigIntVector scopeDropped;
    private final VarCharVector scopeSchemaUrls;
    private final AttributeWriter attributes;
    private final BigIntVector dropped;
    private final ListVector events;
    private final StructVector event;
    private final BigIntVector eventTimes;
    private final VarCharVector eventNames;
    private final AttributeWriter eventAttributes;
    private final BigIntVector eventDropped;
    private final BigIntVector droppedEvents;
    private final ListVector links;
    private final StructVector link;
    private final FixedSizeBinaryVector linkTraceIds;
    private final FixedSizeBinaryVector linkSpanIds;
    private final VarCharVector linkTraceStates;
    private final AttributeWriter linkAttributes;
    private final BigIntVector linkDropped;
    private final BigIntVector linkFlags;
    private final BigIntVector droppedLinks;

    private OtlpToArrow(VectorSchemaRoot root) {
        this.root = root;
        traceIds = vector(SpanSchema.TRACE_ID, FixedSizeBinaryVector.class);
        spanIds = vector(SpanSchema.SPAN_ID, FixedSizeBinaryVector.class);
        parentSpanIds = vector(SpanSchema.PARENT_SPAN_ID, FixedSizeBinaryVector.class);
        traceStates = vector(SpanSchema.TRACE_STATE, VarCharVector.class);
        flags = vector(SpanSchema.FLAGS, BigIntVector.class);
        names = vector(SpanSchema.NAME, VarCharVector.class);
        kinds = vector(SpanSchema.KIND, IntVector.class);
        startTimes = vector(SpanSchema.START_TIME, TimeStampMicroTZVector.class);
        startNanos = vector(SpanSchema.START_TIME_UNIX_NANO, BigIntVector.class);
        durations = vector(SpanSchema.DURATION_NS, BigIntVector.class);
        statusCodes = vector(SpanSchema.STATUS_CODE, IntVector.class);
        statusMessages = vector(SpanSchema.STATUS_MESSAGE, VarCharVector.class);
        serviceNames = vector(SpanSchema.SERVICE_NAME, VarCharVector.class);
        resourceAttributes = new AttributeWriter(vector(SpanSchema.RESOURCE_ATTRIBUTES, MapVector.class), scratch);
        resourceDropped = vector(SpanSchema.RESOURCE_DROPPED_ATTRIBUTES_COUNT, BigIntVector.class);
        resourceSchemaUrls = vector(SpanSchema.RESOURCE_SCHEMA_URL, VarCharVector.class);
        scopeNames = vector(SpanSchema.SCOPE_NAME, VarCharVector.class);
        scopeVersions = vector(SpanSchema.SCOPE_VERSION, VarCharVector.class);
        scopeAttributes = new AttributeWriter(vector(SpanSchema.SCOPE_ATTRIBUTES, MapVector.class), scratch);
        scopeDropped = vector(SpanSchema.SCOPE_DROPPED_ATTRIBUTES_COUNT, BigIntVector.class);
        scopeSchemaUrls = vector(SpanSchema.SCOPE_SCHEMA_URL, VarCharVector.class);
        attributes = new AttributeWriter(vector(SpanSchema.ATTRIBUTES, MapVector.class), scratch);
        dropped = vector(SpanSchema.DROPPED_ATTRIBUTES_COUNT, BigIntVector.class);
        events = vector(SpanSchema.EVENTS, ListVector.class);
        event = (StructVector) events.getDataVector();
        eventTimes = event.getChild(SpanSchema.TIME_UNIX_NANO, BigIntVector.class);
        eventNames = event.getChild(SpanSchema.NAME, VarCharVector.class);
        eventAttributes = new AttributeWriter(event.getChild(SpanSchema.ATTRIBUTES, MapVector.class), scratch);
        eventDropped = event.getChild(SpanSchema.DROPPED_ATTRIBUTES_COUNT, BigIntVector.class);
        droppedEvents = vector(SpanSchema.DROPPED_EVENTS_COUNT, BigIntVector.class);
        links = vector(SpanSchema.LINKS, ListVector.class);
        link = (StructVector) links.getDataVector();
        linkTraceIds = link.getChild(SpanSchema.TRACE_ID, FixedSizeBinaryVector.class);
        linkSpanIds = link.getChild(SpanSchema.SPAN_ID, FixedSizeBinaryVector.class);
        linkTraceStates = link.getChild(SpanSchema.TRACE_STATE, VarCharVector.class);
        linkAttributes = new AttributeWriter(link.getChild(SpanSchema.ATTRIBUTES, MapVector.class), scratch);
        linkDropped = link.getChild(SpanSchema.DROPPED_ATTRIBUTES_COUNT, BigIntVector.class);
        linkFlags = link.getChild(SpanSchema.FLAGS, BigIntVector.class);
        droppedLinks = vector(SpanSchema.DROPPED_LINKS_COUNT, BigIntVector.class);
    }

    private <T extends FieldVector> T vector(String name, Class<T> type) {
        return type.cast(root.getVector(name));
    }

    /** The request's spans as one batch allocated from {@code allocator}; the caller closes it. */
    public static Converted convert(ExportTraceServiceRequest request, BufferAllocator allocator) {
        return convert(request.getResourceSpansList(), allocator);
    }

    /** The same for a request's resource spans, as a {@code TracesData} holds them too. */
    public static Converted convert(List<ResourceSpans> resourceSpans, BufferAllocator allocator) {
        requireNonNull(resourceSpans, "resourceSpans is null");
        requireNonNull(allocator, "allocator is null");
        VectorSchemaRoot root = VectorSchemaRoot.create(SpanSchema.SCHEMA, allocator);
        try {
            return new OtlpToArrow(root).write(resourceSpans);
        } catch (RuntimeException | Error e) {
            root.close();
            throw e;
        }
    }

    private Converted write(List<ResourceSpans> resourceSpans) {
        allocate(resourceSpans);
        int row = 0;
        long rejected = 0;
        List<String> reasons = new ArrayList<>(REASONS_NAMED);
        for (int r = 0; r < resourceSpans.size(); r++) {
            ResourceSpans resource = resourceSpans.get(r);
            ResourceColumns resourceColumns = ResourceColumns.of(resource);
            for (int s = 0; s < resource.getScopeSpansCount(); s++) {
                ScopeSpans scope = resource.getScopeSpans(s);
                ScopeColumns scopeColumns = ScopeColumns.of(scope);
                for (int i = 0; i < scope.getSpansCount(); i++) {
                    Span span = scope.getSpans(i);
                    Optional<String> invalid = invalid(span);
                    if (invalid.isPresent()) {
                        if (rejected++ < REASONS_NAMED) {
                            reasons.add("span " + i + " of resource " + r + " scope " + s + ": " + invalid.get());
                        }
                        continue;
                    }
                    writeSpan(row++, span, resourceColumns, scopeColumns);
                }
            }
        }
        root.setRowCount(row);
        return new Converted(root, rejected, message(rejected, row, reasons));
    }

    private static String message(long rejected, int kept, List<String> reasons) {
        if (rejected == 0) {
            return "";
        }
        StringBuilder message = new StringBuilder().append(rejected).append(" of ").append(rejected + kept)
                .append(" spans rejected: ").append(String.join("; ", reasons));
        if (rejected > reasons.size()) {
            message.append("; and ").append(rejected - reasons.size()).append(" more");
        }
        return message.toString();
    }

    /** Sizes every vector for the whole request, so that writing rarely reallocates. */
    private void allocate(List<ResourceSpans> resourceSpans) {
        int spans = 0;
        int resourceEntries = 0;
        int scopeEntries = 0;
        int spanEntries = 0;
        int eventCount = 0;
        int eventEntries = 0;
        int linkCount = 0;
        int linkEntries = 0;
        for (ResourceSpans resource : resourceSpans) {
            int perResource = resource.getResource().getAttributesCount();
            for (ScopeSpans scope : resource.getScopeSpansList()) {
                int perScope = scope.getScope().getAttributesCount();
                spans = Math.addExact(spans, scope.getSpansCount());
                resourceEntries = Math.addExact(resourceEntries, Math.multiplyExact(perResource, scope.getSpansCount()));
                scopeEntries = Math.addExact(scopeEntries, Math.multiplyExact(perScope, scope.getSpansCount()));
                for (Span span : scope.getSpansList()) {
                    spanEntries += span.getAttributesCount();
                    eventCount += span.getEventsCount();
                    for (Span.Event spanEvent : span.getEventsList()) {
                        eventEntries += spanEvent.getAttributesCount();
                    }
                    linkCount += span.getLinksCount();
                    for (Span.Link spanLink : span.getLinksList()) {
                        linkEntries += spanLink.getAttributesCount();
                    }
                }
            }
        }
        for (FieldVector vector : root.getFieldVectors()) {
            vector.setInitialCapacity(spans);
        }
        resourceAttributes.setInitialCapacity(spans, resourceEntries);
        scopeAttributes.setInitialCapacity(spans, scopeEntries);
        attributes.setInitialCapacity(spans, spanEntries);
        events.setInitialTotalCapacity(spans, eventCount);
        eventAttributes.setInitialCapacity(eventCount, eventEntries);
        links.setInitialTotalCapacity(spans, linkCount);
        linkAttributes.setInitialCapacity(linkCount, linkEntries);
        root.allocateNew();
    }

    /** Why the span cannot be stored, if it cannot. */
    private static Optional<String> invalid(Span span) {
        if (!isId(span.getTraceId(), TRACE_ID_BYTES)) {
            return Optional.of("trace_id must be 16 bytes, not all zero (got " + describe(span.getTraceId(), TRACE_ID_BYTES) + ")");
        }
        if (!isId(span.getSpanId(), SPAN_ID_BYTES)) {
            return Optional.of("span_id must be 8 bytes, not all zero (got " + describe(span.getSpanId(), SPAN_ID_BYTES) + ")");
        }
        int parent = span.getParentSpanId().size();
        if (parent != 0 && parent != SPAN_ID_BYTES) {
            return Optional.of("parent_span_id must be empty or 8 bytes (got " + parent + " bytes)");
        }
        long start = span.getStartTimeUnixNano();
        long end = span.getEndTimeUnixNano();
        // Unsigned in OTLP; as signed, a negative value is one past 2^63 - 1 ns, in the year 2262.
        if (start < 0) {
            return Optional.of("start_time_unix_nano " + Long.toUnsignedString(start) + " is after the year 2262");
        }
        if (end < 0) {
            return Optional.of("end_time_unix_nano " + Long.toUnsignedString(end) + " is after the year 2262");
        }
        if (end < start) {
            return Optional.of("end_time_unix_nano " + end + " is before start_time_unix_nano " + start);
        }
        for (int i = 0; i < span.getLinksCount(); i++) {
            Span.Link spanLink = span.getLinks(i);
            if (spanLink.getTraceId().size() != TRACE_ID_BYTES) {
                return Optional.of("link " + i + ": trace_id must be 16 bytes (got " + spanLink.getTraceId().size() + " bytes)");
            }
            if (spanLink.getSpanId().size() != SPAN_ID_BYTES) {
                return Optional.of("link " + i + ": span_id must be 8 bytes (got " + spanLink.getSpanId().size() + " bytes)");
            }
        }
        return Optional.empty();
    }

    private static boolean isId(ByteString id, int size) {
        return id.size() == size && !allZero(id);
    }

    private static boolean allZero(ByteString id) {
        for (int i = 0; i < id.size(); i++) {
            if (id.byteAt(i) != 0) {
                return false;
            }
        }
        return true;
    }

    private static String describe(ByteString id, int size) {
        return id.size() + (id.size() == size && allZero(id) ? " zero bytes" : " bytes");
    }

    private void writeSpan(int row, Span span, ResourceColumns resource, ScopeColumns scope) {
        scratch.set(traceIds, row, span.getTraceId());
        scratch.set(spanIds, row, span.getSpanId());
        if (!span.getParentSpanId().isEmpty()) {
            scratch.set(parentSpanIds, row, span.getParentSpanId());
        }
        setOptional(traceStates, row, span.getTraceStateBytes());
        flags.setSafe(row, Integer.toUnsignedLong(span.getFlags()));
        scratch.set(names, row, span.getNameBytes());
        kinds.setSafe(row, span.getKindValue());
        long start = span.getStartTimeUnixNano();
        startTimes.setSafe(row, start / NANOS_PER_MICRO);
        startNanos.setSafe(row, start);
        durations.setSafe(row, span.getEndTimeUnixNano() - start);
        statusCodes.setSafe(row, span.getStatus().getCodeValue());
        setOptional(statusMessages, row, span.getStatus().getMessageBytes());

        scratch.set(serviceNames, row, resource.serviceName());
        resourceAttributes.write(row, resource.attributes());
        resourceDropped.setSafe(row, resource.droppedAttributes());
        setOptional(resourceSchemaUrls, row, resource.schemaUrl());
        setOptional(scopeNames, row, scope.name());
        setOptional(scopeVersions, row, scope.version());
        scopeAttributes.write(row, scope.attributes());
        scopeDropped.setSafe(row, scope.droppedAttributes());
        setOptional(scopeSchemaUrls, row, scope.schemaUrl());

        attributes.write(row, span.getAttributesList());
        dropped.setSafe(row, Integer.toUnsignedLong(span.getDroppedAttributesCount()));
        writeEvents(row, span.getEventsList());
        droppedEvents.setSafe(row, Integer.toUnsignedLong(span.getDroppedEventsCount()));
        writeLinks(row, span.getLinksList());
        droppedLinks.setSafe(row, Integer.toUnsignedLong(span.getDroppedLinksCount()));
    }

    private void writeEvents(int row, List<Span.Event> spanEvents) {
        int first = events.startNewValue(row);
        for (int i = 0; i < spanEvents.size(); i++) {
            Span.Event spanEvent = spanEvents.get(i);
            int index = first + i;
            event.setIndexDefined(index);
            eventTimes.setSafe(index, spanEvent.getTimeUnixNano());
            setOptional(eventNames, index, spanEvent.getNameBytes());
            eventAttributes.write(index, spanEvent.getAttributesList());
            eventDropped.setSafe(index, Integer.toUnsignedLong(spanEvent.getDroppedAttributesCount()));
        }
        events.endValue(row, spanEvents.size());
    }

    private void writeLinks(int row, List<Span.Link> spanLinks) {
        int first = links.startNewValue(row);
        for (int i = 0; i < spanLinks.size(); i++) {
            Span.Link spanLink = spanLinks.get(i);
            int index = first + i;
            link.setIndexDefined(index);
            scratch.set(linkTraceIds, index, spanLink.getTraceId());
            scratch.set(linkSpanIds, index, spanLink.getSpanId());
            setOptional(linkTraceStates, index, spanLink.getTraceStateBytes());
            linkAttributes.write(index, spanLink.getAttributesList());
            linkDropped.setSafe(index, Integer.toUnsignedLong(spanLink.getDroppedAttributesCount()));
            linkFlags.setSafe(index, Integer.toUnsignedLong(spanLink.getFlags()));
        }
        links.endValue(row, spanLinks.size());
    }

    /** OTLP's empty string means unset: null in the table. */
    private void setOptional(BaseVariableWidthVector vector, int index, ByteString value) {
        if (!value.isEmpty()) {
            scratch.set(vector, index, value);
        }
    }

    /** A resource's columns, the same on each of its spans: computed once. */
    private record ResourceColumns(ByteString serviceName, AttributeWriter.Prepared attributes, long droppedAttributes,
            ByteString schemaUrl) {
        static ResourceColumns of(ResourceSpans resourceSpans) {
            Resource resource = resourceSpans.getResource();
            AttributeWriter.Prepared attributes = AttributeWriter.Prepared.of(resource.getAttributesList());
            ByteString serviceName = attributes.string(SERVICE_NAME_KEY);
            return new ResourceColumns(serviceName.isEmpty() ? UNKNOWN_SERVICE : serviceName, attributes,
                    Integer.toUnsignedLong(resource.getDroppedAttributesCount()), resourceSpans.getSchemaUrlBytes());
        }
    }

    private record ScopeColumns(ByteString name, ByteString version, AttributeWriter.Prepared attributes,
            long droppedAttributes, ByteString schemaUrl) {
        static ScopeColumns of(ScopeSpans scopeSpans) {
            InstrumentationScope scope = scopeSpans.getScope();
            return new ScopeColumns(scope.getNameBytes(), scope.getVersionBytes(),
                    AttributeWriter.Prepared.of(scope.getAttributesList()),
                    Integer.toUnsignedLong(scope.getDroppedAttributesCount()), scopeSpans.getSchemaUrlBytes());
        }
    }
}
