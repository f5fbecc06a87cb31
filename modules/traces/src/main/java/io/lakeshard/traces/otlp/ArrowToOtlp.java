package io.lakeshard.traces.otlp;

import com.google.protobuf.ByteString;
import io.lakeshard.traces.SpanSchema;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.StructVector;

/**
 * Span rows back to OTLP, batch after batch, grouped as they were exported: spans of an equal resource (attributes,
 * dropped count, schema url) under one {@code ResourceSpans}, and within it spans of an equal scope (name, version,
 * attributes, dropped count, schema url) under one {@code ScopeSpans}, both in the order first seen. Columns are
 * read by name, so a query's extra columns are ignored, in the vector kinds the writer makes or the query engine
 * returns. Resource, scope and status are always set, as OpenTelemetry's SDKs and collector send them. Not
 * thread-safe; batches may be reused once {@link #add} returns.
 */
public final class ArrowToOtlp {
    private final Map<ResourceKey, Map<ScopeKey, List<Span>>> resources = new LinkedHashMap<>();
    private long spanCount;

    /** A whole batch's spans as OTLP. */
    public static TracesData toTracesData(VectorSchemaRoot batch) {
        return new ArrowToOtlp().add(batch).build();
    }

    public ArrowToOtlp add(VectorSchemaRoot batch) {
        return add(batch, row -> true);
    }

    /** The rows of a batch that {@code keep} accepts, asked in row order. */
    public ArrowToOtlp add(VectorSchemaRoot batch, IntPredicate keep) {
        Rows rows = new Rows(batch);
        for (int row = 0; row < batch.getRowCount(); row++) {
            if (!keep.test(row)) {
                continue;
            }
            resources.computeIfAbsent(rows.resource(row), key -> new LinkedHashMap<>())
                    .computeIfAbsent(rows.scope(row), key -> new ArrayList<>())
                    .add(rows.span(row));
            spanCount++;
        }
        return this;
    }

    public long spanCount() {
        return spanCount;
    }

    /** Everything added so far; adding more and building again gives everything, this included. */
    public TracesData build() {
        TracesData.Builder traces = TracesData.newBuilder();
        resources.forEach((resource, scopes) -> {
            ResourceSpans.Builder resourceSpans = traces.addResourceSpansBuilder()
                    .setResource(resource.resource())
                    .setSchemaUrlBytes(resource.schemaUrl());
            scopes.forEach((scope, spans) -> resourceSpans.addScopeSpansBuilder()
                    .setScope(scope.scope())
                    .setSchemaUrlBytes(scope.schemaUrl())
                    .addAllSpans(spans));
        });
        return traces.build();
    }

    private record ResourceKey(Resource resource, ByteString schemaUrl) {}

    private record ScopeKey(InstrumentationScope scope, ByteString schemaUrl) {}

    /** One batch's columns. */
    private static final class Rows {
        private final Readers.Bytes traceIds;
        private final Readers.Bytes spanIds;
        private final Readers.Bytes parentSpanIds;
        private final Readers.Bytes traceStates;
        private final Readers.Longs flags;
        private final Readers.Bytes names;
        private final Readers.Longs kinds;
        private final Readers.Longs startNanos;
        private final Readers.Longs durations;
        private final Readers.Longs statusCodes;
        private final Readers.Bytes statusMessages;
        private final AttributeReader resourceAttributes;
        private final Readers.Longs resourceDropped;
        private final Readers.Bytes resourceSchemaUrls;
        private final Readers.Bytes scopeNames;
        private final Readers.Bytes scopeVersions;
        private final AttributeReader scopeAttributes;
        private final Readers.Longs scopeDropped;
        private final Readers.Bytes scopeSchemaUrls;
        private final AttributeReader attributes;
        private final Readers.Longs dropped;
        private final Readers.Lists events;
        private final Readers.Longs eventTimes;
        private final Readers.Bytes eventNames;
        private final AttributeReader eventAttributes;
        private final Readers.Longs eventDropped;
        private final Readers.Longs droppedEvents;
        private final Readers.Lists links;
        private final Readers.Bytes linkTraceIds;
        private final Readers.Bytes linkSpanIds;
        private final Readers.Bytes linkTraceStates;
        private final AttributeReader linkAttributes;
        private final Readers.Longs linkDropped;
        private final Readers.Longs linkFlags;
        private final Readers.Longs droppedLinks;

        Rows(VectorSchemaRoot batch) {
            traceIds = bytes(batch, SpanSchema.TRACE_ID);
            spanIds = bytes(batch, SpanSchema.SPAN_ID);
            parentSpanIds = bytes(batch, SpanSchema.PARENT_SPAN_ID);
            traceStates = bytes(batch, SpanSchema.TRACE_STATE);
            flags = longs(batch, SpanSchema.FLAGS);
            names = bytes(batch, SpanSchema.NAME);
            kinds = longs(batch, SpanSchema.KIND);
            startNanos = longs(batch, SpanSchema.START_TIME_UNIX_NANO);
            durations = longs(batch, SpanSchema.DURATION_NS);
            statusCodes = longs(batch, SpanSchema.STATUS_CODE);
            statusMessages = bytes(batch, SpanSchema.STATUS_MESSAGE);
            resourceAttributes = attributes(batch, SpanSchema.RESOURCE_ATTRIBUTES);
            resourceDropped = longs(batch, SpanSchema.RESOURCE_DROPPED_ATTRIBUTES_COUNT);
            resourceSchemaUrls = bytes(batch, SpanSchema.RESOURCE_SCHEMA_URL);
            scopeNames = bytes(batch, SpanSchema.SCOPE_NAME);
            scopeVersions = bytes(batch, SpanSchema.SCOPE_VERSION);
            scopeAttributes = attributes(batch, SpanSchema.SCOPE_ATTRIBUTES);
            scopeDropped = longs(batch, SpanSchema.SCOPE_DROPPED_ATTRIBUTES_COUNT);
            scopeSchemaUrls = bytes(batch, SpanSchema.SCOPE_SCHEMA_URL);
            attributes = attributes(batch, SpanSchema.ATTRIBUTES);
            dropped = longs(batch, SpanSchema.DROPPED_ATTRIBUTES_COUNT);

            events = new Readers.Lists(SpanSchema.EVENTS, Readers.column(batch, SpanSchema.EVENTS));
            String eventPath = SpanSchema.EVENTS + "[]";
            StructVector event = Readers.struct(eventPath, events.elements());
            eventTimes = new Readers.Longs(eventPath, Readers.child(event, eventPath, SpanSchema.TIME_UNIX_NANO));
            eventNames = new Readers.Bytes(eventPath, Readers.child(event, eventPath, SpanSchema.NAME));
            eventAttributes = new AttributeReader(eventPath + "." + SpanSchema.ATTRIBUTES,
                    Readers.child(event, eventPath, SpanSchema.ATTRIBUTES));
            eventDropped = new Readers.Longs(eventPath, Readers.child(event, eventPath, SpanSchema.DROPPED_ATTRIBUTES_COUNT));
            droppedEvents = longs(batch, SpanSchema.DROPPED_EVENTS_COUNT);

            links = new Readers.Lists(SpanSchema.LINKS, Readers.column(batch, SpanSchema.LINKS));
            String linkPath = SpanSchema.LINKS + "[]";
            StructVector link = Readers.struct(linkPath, links.elements());
            linkTraceIds = new Readers.Bytes(linkPath, Readers.child(link, linkPath, SpanSchema.TRACE_ID));
            linkSpanIds = new Readers.Bytes(linkPath, Readers.child(link, linkPath, SpanSchema.SPAN_ID));
            linkTraceStates = new Readers.Bytes(linkPath, Readers.child(link, linkPath, SpanSchema.TRACE_STATE));
            linkAttributes = new AttributeReader(linkPath + "." + SpanSchema.ATTRIBUTES,
                    Readers.child(link, linkPath, SpanSchema.ATTRIBUTES));
            linkDropped = new Readers.Longs(linkPath, Readers.child(link, linkPath, SpanSchema.DROPPED_ATTRIBUTES_COUNT));
            linkFlags = new Readers.Longs(linkPath, Readers.child(link, linkPath, SpanSchema.FLAGS));
            droppedLinks = longs(batch, SpanSchema.DROPPED_LINKS_COUNT);
        }

        private static Readers.Bytes bytes(VectorSchemaRoot batch, String name) {
            return new Readers.Bytes(name, Readers.column(batch, name));
        }

        private static Readers.Longs longs(VectorSchemaRoot batch, String name) {
            return new Readers.Longs(name, Readers.column(batch, name));
        }

        private static AttributeReader attributes(VectorSchemaRoot batch, String name) {
            return new AttributeReader(name, Readers.column(batch, name));
        }

        ResourceKey resource(int row) {
            Resource resource = Resource.newBuilder()
                    .addAllAttributes(resourceAttributes.read(row))
                    .setDroppedAttributesCount((int) resourceDropped.get(row))
                    .build();
            return new ResourceKey(resource, resourceSchemaUrls.get(row));
        }

        ScopeKey scope(int row) {
            InstrumentationScope scope = InstrumentationScope.newBuilder()
                    .setNameBytes(scopeNames.get(row))
                    .setVersionBytes(scopeVersions.get(row))
                    .addAllAttributes(scopeAttributes.read(row))
                    .setDroppedAttributesCount((int) scopeDropped.get(row))
                    .build();
            return new ScopeKey(scope, scopeSchemaUrls.get(row));
        }

        Span span(int row) {
            long start = startNanos.get(row);
            Span.Builder span = Span.newBuilder()
                    .setTraceId(traceIds.get(row))
                    .setSpanId(spanIds.get(row))
                    .setTraceStateBytes(traceStates.get(row))
                    .setParentSpanId(parentSpanIds.get(row))
                    .setFlags((int) flags.get(row))
                    .setNameBytes(names.get(row))
                    .setKindValue((int) kinds.get(row))
                    .setStartTimeUnixNano(start)
                    .setEndTimeUnixNano(start + durations.get(row))
                    .addAllAttributes(attributes.read(row))
                    .setDroppedAttributesCount((int) dropped.get(row))
                    .setDroppedEventsCount((int) droppedEvents.get(row))
                    .setDroppedLinksCount((int) droppedLinks.get(row))
                    .setStatus(Status.newBuilder()
                            .setCodeValue((int) statusCodes.get(row))
                            .setMessageBytes(statusMessages.get(row)));
            for (int i = events.start(row); i < events.end(row); i++) {
                span.addEventsBuilder()
                        .setTimeUnixNano(eventTimes.get(i))
                        .setNameBytes(eventNames.get(i))
                        .addAllAttributes(eventAttributes.read(i))
                        .setDroppedAttributesCount((int) eventDropped.get(i));
            }
            for (int i = links.start(row); i < links.end(row); i++) {
                span.addLinksBuilder()
                        .setTraceId(linkTraceIds.get(i))
                        .setSpanId(linkSpanIds.get(i))
                        .setTraceStateBytes(linkTraceStates.get(i))
                        .addAllAttributes(linkAttributes.read(i))
                        .setDroppedAttributesCount((int) linkDropped.get(i))
                        .setFlags((int) linkFlags.get(i));
            }
            return span.build();
        }
    }
}
