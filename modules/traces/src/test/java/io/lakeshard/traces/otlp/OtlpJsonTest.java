package io.lakeshard.traces.otlp;

import static io.lakeshard.traces.otlp.OtlpFixtures.array;
import static io.lakeshard.traces.otlp.OtlpFixtures.attribute;
import static io.lakeshard.traces.otlp.OtlpFixtures.bool;
import static io.lakeshard.traces.otlp.OtlpFixtures.integer;
import static io.lakeshard.traces.otlp.OtlpFixtures.kvlist;
import static io.lakeshard.traces.otlp.OtlpFixtures.real;
import static io.lakeshard.traces.otlp.OtlpFixtures.string;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class OtlpJsonTest {
    /** The OTLP specification's example export, with events, links, status and every attribute type added. */
    private static final String EXAMPLE = """
            {
              "resourceSpans": [{
                "resource": {
                  "attributes": [{"key": "service.name", "value": {"stringValue": "my.service"}}]
                },
                "scopeSpans": [{
                  "scope": {
                    "name": "my.library",
                    "version": "1.0.0",
                    "attributes": [{"key": "my.scope.attribute", "value": {"stringValue": "some scope attribute"}}]
                  },
                  "spans": [{
                    "traceId": "5B8EFFF798038103D269B633813FC60C",
                    "spanId": "EEE19B7EC3C1B174",
                    "parentSpanId": "EEE19B7EC3C1B173",
                    "name": "I'm a server span",
                    "startTimeUnixNano": "1544712660000000000",
                    "endTimeUnixNano": "1544712661000000000",
                    "kind": 2,
                    "flags": 257,
                    "attributes": [
                      {"key": "my.span.attr", "value": {"stringValue": "some value"}},
                      {"key": "int.string", "value": {"intValue": "9007199254740993"}},
                      {"key": "int.number", "value": {"intValue": 42}},
                      {"key": "double", "value": {"doubleValue": 0.1}},
                      {"key": "bool", "value": {"boolValue": true}},
                      {"key": "bytes", "value": {"bytesValue": "AAH/"}},
                      {"key": "array", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "1"}]}}},
                      {"key": "kvlist", "value": {"kvlistValue": {"values": [{"key": "k", "value": {"boolValue": false}}]}}},
                      {"key": "empty", "value": {}}
                    ],
                    "droppedAttributesCount": 1,
                    "events": [{
                      "timeUnixNano": 1544712660500000000,
                      "name": "exception",
                      "attributes": [{"key": "exception.type", "value": {"stringValue": "IOException"}}]
                    }],
                    "links": [{
                      "traceId": "5b8efff798038103d269b633813fc60d",
                      "spanId": "eee19b7ec3c1b175",
                      "traceState": "rojo=00f067aa0ba902b7",
                      "flags": 1
                    }],
                    "status": {"code": 2, "message": "it broke"},
                    "aFieldFromTheFuture": {"ignored": [1, 2, 3]}
                  }]
                }],
                "schemaUrl": "https://opentelemetry.io/schemas/1.24.0"
              }]
            }
            """;

    private static ByteString hex(String hex) {
        return ByteString.copyFrom(HexFormat.of().parseHex(hex));
    }

    private static byte[] utf8(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theSpecificationsExampleParsesToItsProtobuf() {
        Span span = Span.newBuilder()
                .setTraceId(hex("5b8efff798038103d269b633813fc60c"))
                .setSpanId(hex("eee19b7ec3c1b174"))
                .setParentSpanId(hex("eee19b7ec3c1b173"))
                .setName("I'm a server span")
                .setStartTimeUnixNano(1544712660000000000L)
                .setEndTimeUnixNano(1544712661000000000L)
                .setKind(Span.SpanKind.SPAN_KIND_SERVER)
                .setFlags(257)
                .addAttributes(attribute("my.span.attr", string("some value")))
                .addAttributes(attribute("int.string", integer(9007199254740993L)))
                .addAttributes(attribute("int.number", integer(42)))
                .addAttributes(attribute("double", real(0.1)))
                .addAttributes(attribute("bool", bool(true)))
                .addAttributes(attribute("bytes", AnyValue.newBuilder().setBytesValue(hex("0001ff")).build()))
                .addAttributes(attribute("array", array(string("a"), integer(1))))
                .addAttributes(attribute("kvlist", kvlist(attribute("k", bool(false)))))
                .addAttributes(attribute("empty", AnyValue.getDefaultInstance()))
                .setDroppedAttributesCount(1)
                .addEvents(Span.Event.newBuilder()
                        .setTimeUnixNano(1544712660500000000L)
                        .setName("exception")
                        .addAttributes(attribute("exception.type", string("IOException"))))
                .addLinks(Span.Link.newBuilder()
                        .setTraceId(hex("5b8efff798038103d269b633813fc60d"))
                        .setSpanId(hex("eee19b7ec3c1b175"))
                        .setTraceState("rojo=00f067aa0ba902b7")
                        .setFlags(1))
                .setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR).setMessage("it broke"))
                .build();
        ExportTraceServiceRequest expected = ExportTraceServiceRequest.newBuilder()
                .addResourceSpans(ResourceSpans.newBuilder()
                        .setResource(Resource.newBuilder().addAttributes(attribute("service.name", string("my.service"))))
                        .addScopeSpans(ScopeSpans.newBuilder()
                                .setScope(InstrumentationScope.newBuilder()
                                        .setName("my.library")
                                        .setVersion("1.0.0")
                                        .addAttributes(attribute("my.scope.attribute", string("some scope attribute"))))
                                .addSpans(span))
                        .setSchemaUrl("https://opentelemetry.io/schemas/1.24.0"))
                .build();
        assertEquals(expected, OtlpJson.parseRequest(utf8(EXAMPLE)));
    }

    @Test
    void protoNamesAndEnumNamesAreAcceptedToo() {
        String json = """
                {"resource_spans": [{"scope_spans": [{"spans": [{
                  "trace_id": "5b8efff798038103d269b633813fc60c",
                  "span_id": "eee19b7ec3c1b174",
                  "parent_span_id": "",
                  "kind": "SPAN_KIND_CLIENT",
                  "start_time_unix_nano": 1544712660000000000,
                  "links": [{"trace_id": "5b8efff798038103d269b633813fc60d", "span_id": "eee19b7ec3c1b175"}],
                  "status": {"code": "STATUS_CODE_OK"}
                }]}]}]}
                """;
        Span span = OtlpJson.parseRequest(utf8(json)).getResourceSpans(0).getScopeSpans(0).getSpans(0);
        assertEquals(Span.newBuilder()
                .setTraceId(hex("5b8efff798038103d269b633813fc60c"))
                .setSpanId(hex("eee19b7ec3c1b174"))
                .setKind(Span.SpanKind.SPAN_KIND_CLIENT)
                .setStartTimeUnixNano(1544712660000000000L)
                .addLinks(Span.Link.newBuilder()
                        .setTraceId(hex("5b8efff798038103d269b633813fc60d"))
                        .setSpanId(hex("eee19b7ec3c1b175")))
                .setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_OK))
                .build(), span);
    }

    @Test
    void responsesPrintAsOtlpJson() {
        assertEquals("{}", new String(OtlpJson.print(ExportTraceServiceResponse.getDefaultInstance()), StandardCharsets.UTF_8));
        ExportTraceServiceResponse partial = ExportTraceServiceResponse.newBuilder()
                .setPartialSuccess(ExportTracePartialSuccess.newBuilder()
                        .setRejectedSpans(2)
                        .setErrorMessage("2 of 5 spans rejected: …"))
                .build();
        assertEquals("{\"partialSuccess\":{\"rejectedSpans\":\"2\",\"errorMessage\":\"2 of 5 spans rejected: …\"}}",
                new String(OtlpJson.print(partial), StandardCharsets.UTF_8));
    }

    @Test
    void tracesPrintWithHexIdsAndParseBackWhole() {
        ExportTraceServiceRequest everything = OtlpFixtures.everything();
        String json = new String(OtlpJson.print(OtlpFixtures.asTracesData(everything)), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"traceId\":\"5b8efff7980381030000000000000001\""), json);
        assertTrue(json.contains("\"parentSpanId\":\"eee19b7ec3c1b165\""), json);
        assertTrue(json.contains("\"links\":[{\"traceId\":\"5b8efff7980381030000000000000063\",\"spanId\":\"eee19b7ec3c1b163\""), json);
        assertTrue(json.contains("\"kind\":2"), "enums as integers: " + json);
        assertTrue(json.contains("\"bytesValue\":\"AAH/\""), "other bytes stay base64: " + json);
        assertTrue(json.contains("{\"doubleValue\":-0.0}"), json);
        // protobuf-java's JSON parser reads doubles through BigDecimal, which has no negative zero.
        ExportTraceServiceRequest expected = positiveZeros(everything);
        // A TracesData and an export request are the same message on the wire and in JSON.
        assertEquals(expected, OtlpJson.parseRequest(utf8(json)));
    }

    /** The request with its top-level double attributes of -0.0 (those of the fixture) as 0.0. */
    private static ExportTraceServiceRequest positiveZeros(ExportTraceServiceRequest request) {
        ExportTraceServiceRequest.Builder positive = request.toBuilder();
        for (ResourceSpans.Builder resource : positive.getResourceSpansBuilderList()) {
            positiveZeros(resource.getResourceBuilder().getAttributesBuilderList());
            for (ScopeSpans.Builder scope : resource.getScopeSpansBuilderList()) {
                for (Span.Builder span : scope.getSpansBuilderList()) {
                    positiveZeros(span.getAttributesBuilderList());
                }
            }
        }
        return positive.build();
    }

    private static void positiveZeros(List<KeyValue.Builder> attributes) {
        for (KeyValue.Builder attribute : attributes) {
            if (attribute.getValue().hasDoubleValue() && attribute.getValue().getDoubleValue() == 0) {
                attribute.getValueBuilder().setDoubleValue(0.0);
            }
        }
    }

    @Test
    void aBadIdFailsNamingItsField() {
        InvalidInputException traceId = assertThrows(InvalidInputException.class,
                () -> OtlpJson.parseRequest(utf8(EXAMPLE.replace("5B8EFFF798038103D269B633813FC60C", "not hex"))));
        assertEquals("resourceSpans[0].scopeSpans[0].spans[0].traceId", traceId.field());
        assertTrue(traceId.getMessage().contains("not a hex id: \"not hex\""), traceId.getMessage());

        InvalidInputException linkSpanId = assertThrows(InvalidInputException.class,
                () -> OtlpJson.parseRequest(utf8(EXAMPLE.replace("eee19b7ec3c1b175", "eee19b7ec3c1b17"))));
        assertEquals("resourceSpans[0].scopeSpans[0].spans[0].links[0].spanId", linkSpanId.field(), "an odd number of digits");

        InvalidInputException parent = assertThrows(InvalidInputException.class, () -> OtlpJson.parseRequest(utf8(
                "{\"resource_spans\":[{\"scope_spans\":[{},{\"spans\":[{},{\"parent_span_id\":\"eee19b7ec3c1b17g\"}]}]}]}")));
        assertEquals("resource_spans[0].scope_spans[1].spans[1].parent_span_id", parent.field());
    }

    @Test
    void malformedJsonAndWrongTypesFailAsBadInput() {
        InvalidInputException truncated = assertThrows(InvalidInputException.class,
                () -> OtlpJson.parseRequest(utf8(EXAMPLE.substring(0, 200))));
        assertEquals("body", truncated.field());
        assertTrue(truncated.getMessage().contains("malformed JSON"), truncated.getMessage());
        assertEquals("body", assertThrows(InvalidInputException.class, () -> OtlpJson.parseRequest(new byte[0])).field());
        assertEquals("body", assertThrows(InvalidInputException.class, () -> OtlpJson.parseRequest(utf8("[]"))).field());
        InvalidInputException time = assertThrows(InvalidInputException.class,
                () -> OtlpJson.parseRequest(utf8(EXAMPLE.replace("\"1544712660000000000\"", "\"soon\""))));
        assertTrue(time.getMessage().contains("soon"), time.getMessage());
    }
}
