package io.lakeshard.traces.otlp;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.Status;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.function.UnaryOperator;

/**
 * OTLP/HTTP's JSON encoding: protobuf's JSON mapping (lowerCamelCase names, the proto names accepted too, 64-bit
 * integers as strings or numbers, enums as integers or names, unknown fields ignored) except that trace and span ids
 * are hex, not base64. {@link JsonFormat} does the mapping; the ids are rewritten in a Jackson tree on the way in and
 * out. Other bytes fields (a {@code bytesValue} attribute) stay base64, as the OTLP specification says.
 */
public final class OtlpJson {
    /**
     * Plain on purpose: integers come through the tree exactly (as long or BigInteger), doubles as doubles, which print
     * back as the same double; BigDecimal would turn -0.0 into 0.
     */
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer()
            .omittingInsignificantWhitespace()
            .printingEnumsAsInts();
    private static final HexFormat HEX = HexFormat.of();

    private OtlpJson() {}

    /**
     * An export request from its JSON body.
     *
     * @throws InvalidInputException for malformed JSON, a value of the wrong type, or an id that is not hex, naming
     *     the field where it can (for a 400 response)
     */
    public static ExportTraceServiceRequest parseRequest(byte[] json) {
        JsonNode tree;
        try {
            tree = MAPPER.readTree(json);
        } catch (JacksonException e) {
            throw new InvalidInputException("body", "malformed JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()
                            + " column " + e.getLocation().getColumnNr()));
        } catch (IOException e) {
            throw new InvalidInputException("body", "unreadable JSON: " + e.getMessage());
        }
        if (tree == null || !tree.isObject()) {
            throw new InvalidInputException("body", "an export request must be a JSON object");
        }
        rewriteIds((ObjectNode) tree, OtlpJson::hexToBase64);
        ExportTraceServiceRequest.Builder request = ExportTraceServiceRequest.newBuilder();
        try {
            PARSER.merge(tree.toString(), request);
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidInputException("body", e.getMessage());
        }
        return request.build();
    }

    public static byte[] print(ExportTraceServiceResponse response) {
        return printTree(response, false);
    }

    /** An OTLP/HTTP error body. */
    public static byte[] print(Status status) {
        return printTree(status, false);
    }

    /** Traces as OTLP JSON, for trace queries over HTTP. */
    public static byte[] print(TracesData traces) {
        return printTree(traces, true);
    }

    private static byte[] printTree(MessageOrBuilder message, boolean hasIds) {
        String json;
        try {
            json = PRINTER.print(message);
        } catch (InvalidProtocolBufferException e) {
            // Only Any fields with unknown types fail to print, and OTLP has none.
            throw new IllegalStateException("cannot print " + message.getDescriptorForType().getFullName(), e);
        }
        if (!hasIds) {
            return json.getBytes(StandardCharsets.UTF_8);
        }
        try {
            ObjectNode tree = (ObjectNode) MAPPER.readTree(json);
            rewriteIds(tree, OtlpJson::base64ToHex);
            return MAPPER.writeValueAsBytes(tree);
        } catch (JacksonException e) {
            throw new IllegalStateException("JsonFormat printed JSON Jackson cannot read", e);
        }
    }

    /** Every trace and span id under {@code resourceSpans}: a span's own, its parent's and its links'. */
    private static void rewriteIds(ObjectNode root, UnaryOperator<String> codec) {
        Field resourceSpans = Field.of(root, "resourceSpans", "resource_spans");
        for (int r = 0; r < resourceSpans.size(); r++) {
            String resourcePath = resourceSpans.path(r);
            Field scopeSpans = Field.of(resourceSpans.object(r), "scopeSpans", "scope_spans");
            for (int s = 0; s < scopeSpans.size(); s++) {
                String scopePath = resourcePath + "." + scopeSpans.path(s);
                Field spans = Field.of(scopeSpans.object(s), "spans", "spans");
                for (int i = 0; i < spans.size(); i++) {
                    ObjectNode span = spans.object(i);
                    String spanPath = scopePath + "." + spans.path(i);
                    rewriteId(span, spanPath, "traceId", "trace_id", codec);
                    rewriteId(span, spanPath, "spanId", "span_id", codec);
                    rewriteId(span, spanPath, "parentSpanId", "parent_span_id", codec);
                    Field links = Field.of(span, "links", "links");
                    for (int l = 0; l < links.size(); l++) {
                        String linkPath = spanPath + "." + links.path(l);
                        rewriteId(links.object(l), linkPath, "traceId", "trace_id", codec);
                        rewriteId(links.object(l), linkPath, "spanId", "span_id", codec);
                    }
                }
            }
        }
    }

    /** Rewrites the id under either name; a value that is not a string is JsonFormat's to refuse. */
    private static void rewriteId(ObjectNode parent, String path, String jsonName, String protoName,
            UnaryOperator<String> codec) {
        rewriteId(parent, path, jsonName, codec);
        rewriteId(parent, path, protoName, codec);
    }

    private static void rewriteId(ObjectNode parent, String path, String name, UnaryOperator<String> codec) {
        JsonNode id = parent.get(name);
        if (id != null && id.isTextual()) {
            try {
                parent.put(name, codec.apply(id.textValue()));
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException(path + "." + name, "not a hex id: \"" + id.textValue() + "\"");
            }
        }
    }

    private static String hexToBase64(String hex) {
        return Base64.getEncoder().encodeToString(HEX.parseHex(hex));
    }

    private static String base64ToHex(String base64) {
        return HEX.formatHex(Base64.getDecoder().decode(base64));
    }

    /** A repeated field found under its JSON or its proto name; absent or not an array, it has no elements. */
    private record Field(String name, JsonNode elements) {
        static Field of(JsonNode parent, String jsonName, String protoName) {
            JsonNode elements = parent.get(jsonName);
            String name = jsonName;
            if (elements == null) {
                elements = parent.get(protoName);
                name = protoName;
            }
            return new Field(name, elements != null && elements.isArray() ? elements : MAPPER.createArrayNode());
        }

        int size() {
            return elements.size();
        }

        /** The element as an object; anything else has no ids to rewrite, and JsonFormat refuses it. */
        ObjectNode object(int index) {
            JsonNode element = elements.get(index);
            return element.isObject() ? (ObjectNode) element : MAPPER.createObjectNode();
        }

        String path(int index) {
            return name + "[" + index + "]";
        }
    }
}
