package io.lakeshard.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Spans as plain maps, whether an SDK exported them (Java's {@link SpanData}, the JS SDK's spans printed as JSON) or
 * Lakeshard gave them back (OTLP {@link TracesData}): two views are equal when every field OTLP carries is, attribute
 * values with their types (a long stays a long, an array an array).
 */
final class SpanViews {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    private SpanViews() {}

    static Set<Map<String, Object>> of(TracesData traces) {
        Set<Map<String, Object>> spans = new HashSet<>();
        for (ResourceSpans resource : traces.getResourceSpansList()) {
            for (ScopeSpans scope : resource.getScopeSpansList()) {
                for (Span span : scope.getSpansList()) {
                    Map<String, Object> view = new TreeMap<>();
                    view.put("traceId", HEX.formatHex(span.getTraceId().toByteArray()));
                    view.put("spanId", HEX.formatHex(span.getSpanId().toByteArray()));
                    view.put("parentSpanId", HEX.formatHex(span.getParentSpanId().toByteArray()));
                    view.put("name", span.getName());
                    view.put("kind", (long) span.getKindValue());
                    view.put("start", span.getStartTimeUnixNano());
                    view.put("end", span.getEndTimeUnixNano());
                    view.put("statusCode", (long) span.getStatus().getCodeValue());
                    view.put("statusMessage", span.getStatus().getMessage());
                    view.put("attributes", attributes(span.getAttributesList()));
                    List<Object> events = new ArrayList<>();
                    span.getEventsList().forEach(event -> events.add(Map.of("name", event.getName(), "time", event.getTimeUnixNano(),
                            "attributes", attributes(event.getAttributesList()))));
                    view.put("events", events);
                    List<Object> links = new ArrayList<>();
                    span.getLinksList().forEach(link -> links.add(Map.of("traceId", HEX.formatHex(link.getTraceId().toByteArray()),
                            "spanId", HEX.formatHex(link.getSpanId().toByteArray()), "attributes", attributes(link.getAttributesList()))));
                    view.put("links", links);
                    view.put("resource", attributes(resource.getResource().getAttributesList()));
                    view.put("scope", Map.of("name", scope.getScope().getName(), "version", scope.getScope().getVersion()));
                    spans.add(view);
                }
            }
        }
        return spans;
    }

    static Set<Map<String, Object>> ofJava(Collection<SpanData> exported) {
        Set<Map<String, Object>> spans = new HashSet<>();
        for (SpanData span : exported) {
            Map<String, Object> view = new TreeMap<>();
            view.put("traceId", span.getTraceId());
            view.put("spanId", span.getSpanId());
            view.put("parentSpanId", span.getParentSpanContext().isValid() ? span.getParentSpanId() : "");
            view.put("name", span.getName());
            view.put("kind", (long) span.getKind().ordinal() + 1);
            view.put("start", span.getStartEpochNanos());
            view.put("end", span.getEndEpochNanos());
            view.put("statusCode", (long) switch (span.getStatus().getStatusCode()) {
                case UNSET -> 0;
                case OK -> 1;
                case ERROR -> 2;
            });
            view.put("statusMessage", span.getStatus().getDescription());
            view.put("attributes", attributes(span.getAttributes()));
            List<Object> events = new ArrayList<>();
            for (EventData event : span.getEvents()) {
                events.add(Map.of("name", event.getName(), "time", event.getEpochNanos(), "attributes", attributes(event.getAttributes())));
            }
            view.put("events", events);
            List<Object> links = new ArrayList<>();
            for (LinkData link : span.getLinks()) {
                links.add(Map.of("traceId", link.getSpanContext().getTraceId(), "spanId", link.getSpanContext().getSpanId(),
                        "attributes", attributes(link.getAttributes())));
            }
            view.put("links", links);
            view.put("resource", attributes(span.getResource().getAttributes()));
            view.put("scope", Map.of("name", span.getInstrumentationScopeInfo().getName(),
                    "version", span.getInstrumentationScopeInfo().getVersion() == null ? "" : span.getInstrumentationScopeInfo().getVersion()));
            spans.add(view);
        }
        return spans;
    }

    /** The JS test program's output: one JSON object a span, in the field names of {@link #of(TracesData)}. */
    static Set<Map<String, Object>> ofJs(List<String> lines) {
        Set<Map<String, Object>> spans = new HashSet<>();
        for (String line : lines) {
            JsonNode span;
            try {
                span = JSON.readTree(line);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Map<String, Object> view = new TreeMap<>();
            view.put("traceId", span.get("traceId").asText());
            view.put("spanId", span.get("spanId").asText());
            view.put("parentSpanId", span.get("parentSpanId").asText());
            view.put("name", span.get("name").asText());
            view.put("kind", span.get("kind").asLong());
            view.put("start", Long.parseLong(span.get("startTimeUnixNano").asText()));
            view.put("end", Long.parseLong(span.get("endTimeUnixNano").asText()));
            view.put("statusCode", span.get("statusCode").asLong());
            view.put("statusMessage", span.get("statusMessage").asText());
            view.put("attributes", attributes(span.get("attributes")));
            List<Object> events = new ArrayList<>();
            span.get("events").forEach(event -> events.add(Map.of("name", event.get("name").asText(),
                    "time", Long.parseLong(event.get("timeUnixNano").asText()), "attributes", attributes(event.get("attributes")))));
            view.put("events", events);
            List<Object> links = new ArrayList<>();
            span.get("links").forEach(link -> links.add(Map.of("traceId", link.get("traceId").asText(),
                    "spanId", link.get("spanId").asText(), "attributes", attributes(link.get("attributes")))));
            view.put("links", links);
            view.put("resource", attributes(span.get("resource")));
            view.put("scope", Map.of("name", span.get("scope").get("name").asText(), "version", span.get("scope").get("version").asText()));
            spans.add(view);
        }
        return spans;
    }

    private static Map<String, Object> attributes(List<KeyValue> attributes) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (KeyValue attribute : attributes) {
            values.put(attribute.getKey(), value(attribute.getValue()));
        }
        return new TreeMap<>(values);
    }

    private static Object value(AnyValue value) {
        return switch (value.getValueCase()) {
            case STRING_VALUE -> value.getStringValue();
            case BOOL_VALUE -> value.getBoolValue();
            case INT_VALUE -> value.getIntValue();
            case DOUBLE_VALUE -> value.getDoubleValue();
            case BYTES_VALUE -> "bytes:" + HEX.formatHex(value.getBytesValue().toByteArray());
            case ARRAY_VALUE -> value.getArrayValue().getValuesList().stream().map(SpanViews::value).toList();
            case KVLIST_VALUE -> attributes(value.getKvlistValue().getValuesList());
            case VALUE_NOT_SET -> "unset";
        };
    }

    private static Map<String, Object> attributes(Attributes attributes) {
        Map<String, Object> values = new TreeMap<>();
        attributes.forEach((AttributeKey<?> key, Object value) -> values.put(key.getKey(), value));
        return values;
    }

    private static Map<String, Object> attributes(JsonNode attributes) {
        Map<String, Object> values = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> fields = attributes.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            values.put(field.getKey(), json(field.getValue()));
        }
        return values;
    }

    private static Object json(JsonNode value) {
        if (value.isArray()) {
            List<Object> items = new ArrayList<>();
            value.forEach(item -> items.add(json(item)));
            return items;
        }
        if (value.isBoolean()) {
            return value.asBoolean();
        }
        if (value.isIntegralNumber()) {
            return value.asLong();
        }
        if (value.isNumber()) {
            return value.asDouble();
        }
        return value.asText();
    }
}
