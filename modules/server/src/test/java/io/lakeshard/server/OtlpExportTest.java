package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.grpc.GrpcClientSettings;
import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lakeshard.api.v1.AttributeFilter;
import io.lakeshard.api.v1.AttributeValue;
import io.lakeshard.api.v1.Consistency;
import io.lakeshard.api.v1.GetRedMetricsRequest;
import io.lakeshard.api.v1.GetTraceRequest;
import io.lakeshard.api.v1.ListServicesRequest;
import io.lakeshard.api.v1.SearchTracesRequest;
import io.lakeshard.grpc.FixedAddressResolver;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.QueryResults;
import io.lakeshard.client.traces.RedPoint;
import io.lakeshard.client.traces.ServiceOperations;
import io.lakeshard.client.traces.TracePage;
import io.lakeshard.client.traces.TraceSummary;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.traces.SpanSchema;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceClient;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * OTLP in, as tracing clients send it: the OpenTelemetry Java SDK's gRPC and HTTP exporters and the JS SDK's HTTP
 * exporters (run with node), configured only with the API's endpoint and the key header; then the spec's rules
 * (gzip, JSON with hex ids, partial success, size limit, authentication) with requests made by hand.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OtlpExportTest {
    private static final String ACME_KEY = "acme-otlp-key";
    private static final String GLOBEX_KEY = "globex-otlp-key";
    private static final HexFormat HEX = HexFormat.of();

    private Path dataDir;
    private LakeshardServer server;
    private ActorSystem<Void> clientSystem;
    private TraceServiceClient grpc;
    private LakeshardClient acme;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        dataDir = dir;
        server = TestServers.start(dir, """
                lakeshard.otlp.max-request-bytes = 1MiB
                lakeshard.server.api-keys = [
                  { tenant = "acme", sha256 = "%s", admin = true },
                  { tenant = "globex", sha256 = "%s" }
                ]
                """.formatted(ApiKeys.sha256(ACME_KEY), ApiKeys.sha256(GLOBEX_KEY)));
        clientSystem = ActorSystem.create(Behaviors.empty(), "otlp-client", ConfigFactory.parseString("akka.loglevel = WARNING"));
        grpc = TraceServiceClient.create(GrpcClientSettings.connectToServiceAt("127.0.0.1", server.port(), clientSystem)
                .withChannelBuilderOverrides(builder -> FixedAddressResolver.pin(builder, new InetSocketAddress("127.0.0.1", server.port())))
                .withTls(false), clientSystem);
        acme = LakeshardClient.connect("127.0.0.1", server.port(), ACME_KEY);
    }

    @AfterAll
    void stop() throws Exception {
        acme.close();
        grpc.close();
        clientSystem.terminate();
        server.close();
    }

    @Test
    void theJavaSdksGrpcAndHttpExportersStoreTracesThatComeBackEqual() {
        InMemorySpanExporter recorded = InMemorySpanExporter.create();
        List<SpanData> spans;
        try (SdkTracerProvider provider = SdkTraces.provider("java-checkout", recorded)) {
            SdkTraces.make(provider.get("io.lakeshard.test", "1.2.3"), 4);
            // Before the provider's shutdown, which clears the recorder.
            spans = List.copyOf(recorded.getFinishedSpanItems());
        }
        List<SpanData> overGrpc = spans.stream().filter(span -> span.getTraceId().compareTo("8") < 0).toList();
        List<SpanData> overHttp = spans.stream().filter(span -> span.getTraceId().compareTo("8") >= 0).toList();
        String endpoint = "http://127.0.0.1:" + server.port();
        try (SpanExporter grpcExporter = OtlpGrpcSpanExporter.builder().setEndpoint(endpoint).setCompression("gzip")
                        .addHeader("authorization", "Bearer " + ACME_KEY).build();
                SpanExporter httpExporter = OtlpHttpSpanExporter.builder().setEndpoint(endpoint + "/v1/traces")
                        .addHeader("authorization", "Bearer " + ACME_KEY).build()) {
            assertSucceeds(grpcExporter.export(overGrpc));
            assertSucceeds(httpExporter.export(overHttp));
        }

        Map<String, List<SpanData>> byTrace = spans.stream().collect(Collectors.groupingBy(SpanData::getTraceId));
        assertEquals(4, byTrace.size());
        byTrace.forEach((traceId, exported) ->
                assertEquals(SpanViews.ofJava(exported), SpanViews.of(trace(acme, traceId)), "trace " + traceId + " as exported"));

        // The trace questions, over what the SDK exported.
        TracePage all = acme.searchTraces(SearchTracesRequest.newBuilder().setServiceName("java-checkout")
                .addSpanAttributes(AttributeFilter.newBuilder().setKey("db.system")
                        .setValue(AttributeValue.newBuilder().setStringValue("postgresql"))).build());
        assertEquals(byTrace.keySet(), all.traces().stream().map(TraceSummary::traceId).collect(Collectors.toSet()));
        for (TraceSummary summary : all.traces()) {
            SpanData root = byTrace.get(summary.traceId()).stream().filter(span -> !span.getParentSpanContext().isValid())
                    .findFirst().orElseThrow();
            assertEquals(root.getName(), summary.rootSpanName());
            assertEquals(root.getEndEpochNanos() - root.getStartEpochNanos(), summary.durationNanos());
            assertEquals(4, summary.spanCount());
        }
        TracePage errors = acme.searchTraces(SearchTracesRequest.newBuilder().setServiceName("java-checkout").setErrorsOnly(true).build());
        assertEquals(List.of(spans.stream().filter(span -> span.getStatus().getStatusCode() == StatusCode.ERROR)
                .map(SpanData::getTraceId).findFirst().orElseThrow()), errors.traces().stream().map(TraceSummary::traceId).toList());
        ServiceOperations service = acme.services(ListServicesRequest.getDefaultInstance()).stream()
                .filter(operations -> operations.serviceName().equals("java-checkout")).findFirst().orElseThrow();
        assertEquals(spans.stream().map(SpanData::getName).collect(Collectors.toSet()),
                service.operations().stream().map(ServiceOperations.Operation::spanName).collect(Collectors.toSet()));
        List<RedPoint> red = acme.redMetrics(GetRedMetricsRequest.newBuilder().setServiceName("java-checkout").setBucketSeconds(3600).build());
        assertEquals(spans.size(), red.stream().mapToLong(RedPoint::requests).sum());
        assertEquals(1, red.stream().mapToLong(RedPoint::errors).sum());
    }

    @Test
    void theJavaScriptSdksHttpExportersStoreTracesThatComeBackEqual(@TempDir Path work) throws Exception {
        Path project = NodeProject.install(work);
        for (String encoding : List.of("json", "protobuf")) {
            List<String> exported = NodeProject.run(project, "export.mjs", Map.of(
                    "LAKESHARD_OTLP_URL", "http://127.0.0.1:" + server.port() + "/v1/traces",
                    "LAKESHARD_API_KEY", ACME_KEY,
                    "OTLP_ENCODING", encoding));
            Set<Map<String, Object>> spans = SpanViews.ofJs(exported);
            assertEquals(12, spans.size(), encoding + ": three traces of four spans");
            Map<Object, List<Map<String, Object>>> byTrace = spans.stream().collect(Collectors.groupingBy(span -> span.get("traceId")));
            byTrace.forEach((traceId, expected) -> assertEquals(Set.copyOf(expected), SpanViews.of(trace(acme, (String) traceId)),
                    encoding + ": trace " + traceId + " as the JS SDK exported it"));
        }
    }

    @Test
    void gzipProtobufAndJsonWithHexIdsAreStoredAndAnsweredInTheirOwnEncoding() throws Exception {
        ExportTraceServiceRequest export = export(newTraceId(), "gzip-service", 3);
        HttpResponse<byte[]> gzipped = post(gzip(export.toByteArray()), "application/x-protobuf", ACME_KEY, "gzip");
        assertEquals(200, gzipped.statusCode());
        assertEquals("application/x-protobuf", gzipped.headers().firstValue("content-type").orElseThrow());
        assertFalse(ExportTraceServiceResponse.parseFrom(gzipped.body()).hasPartialSuccess(), "full success leaves it unset");
        assertEquals(SpanViews.of(traces(export)), SpanViews.of(trace(acme, traceIdOf(export))),
                "bytes, arrays and key-value lists come back with their types");

        String traceId = newTraceId();
        String json = """
                {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"json-service"}}]},
                 "scopeSpans":[{"scope":{"name":"curl"},"spans":[
                   {"traceId":"%s","spanId":"0102030405060708","name":"GET /","kind":2,
                    "startTimeUnixNano":"1764590000000000001","endTimeUnixNano":"1764590000250000001",
                    "attributes":[{"key":"http.response.status_code","value":{"intValue":"200"}}],
                    "status":{"code":2,"message":"upstream failed"}},
                   {"traceId":"%s","spanId":"1112131415161718","parentSpanId":"0102030405060708","name":"SELECT","kind":3,
                    "startTimeUnixNano":1764590000100000000,"endTimeUnixNano":1764590000200000000,"unknownField":true}]}]}]}
                """.formatted(traceId, traceId);
        HttpResponse<byte[]> answered = post(json.getBytes(StandardCharsets.UTF_8), "application/json", ACME_KEY, null);
        assertEquals(200, answered.statusCode(), new String(answered.body(), StandardCharsets.UTF_8));
        assertTrue(answered.headers().firstValue("content-type").orElseThrow().startsWith("application/json"));
        TracesData stored = trace(acme, traceId);
        Set<Map<String, Object>> spans = SpanViews.of(stored);
        assertEquals(2, spans.size());
        Map<String, Object> root = spans.stream().filter(span -> span.get("spanId").equals("0102030405060708")).findFirst().orElseThrow();
        assertEquals(1_764_590_000_000_000_001L, root.get("start"), "nanoseconds kept");
        assertEquals(2L, root.get("statusCode"));
        assertEquals(Map.of("http.response.status_code", 200L), root.get("attributes"), "a 64-bit int sent as a string");
    }

    @Test
    void anInvalidSpanIsRejectedAloneAndTheRestAreStored() throws Exception {
        String traceId = newTraceId();
        ExportTraceServiceRequest valid = export(traceId, "partial-service", 2);
        ExportTraceServiceRequest withBadSpan = valid.toBuilder().setResourceSpans(0, valid.getResourceSpans(0).toBuilder()
                .setScopeSpans(0, valid.getResourceSpans(0).getScopeSpans(0).toBuilder()
                        .addSpans(valid.getResourceSpans(0).getScopeSpans(0).getSpans(0).toBuilder()
                                .setTraceId(ByteString.copyFrom(new byte[] {1, 2, 3}))))).build();

        ExportTraceServiceResponse overHttp = ExportTraceServiceResponse.parseFrom(
                post(withBadSpan.toByteArray(), "application/x-protobuf", ACME_KEY, null).body());
        assertEquals(1, overHttp.getPartialSuccess().getRejectedSpans());
        assertTrue(overHttp.getPartialSuccess().getErrorMessage().contains("trace_id"), overHttp.getPartialSuccess().getErrorMessage());
        ExportTraceServiceResponse overGrpc = await(grpc.export().addHeader("authorization", "Bearer " + ACME_KEY).invoke(withBadSpan));
        assertEquals(1, overGrpc.getPartialSuccess().getRejectedSpans());

        assertEquals(2, SpanViews.of(trace(acme, traceId)).size(), "the valid spans, each once though exported twice");
    }

    @Test
    void anExportSentTwiceIsReadOnceAndOptimizeKeepsOneCopyOnDisk() throws Exception {
        String dataset = "otel.retried.spans";
        String traceId = newTraceId();
        ExportTraceServiceRequest export = export(traceId, "retried-service", 5);
        for (int attempt = 0; attempt < 2; attempt++) {
            // The exporter's answer was lost and it sent the export again: no key tells the two apart.
            assertEquals(200, postTo(dataset, export).statusCode());
        }
        assertEquals(200, postTo(dataset, export(newTraceId(), "retried-service", 3)).statusCode());
        assertEquals(13, count("SELECT count(*) FROM " + dataset), "stored as sent: at least once");
        assertEquals(5, SpanViews.of(trace(acme, traceId, dataset)).size(), "a trace by id has each span once");

        assertTrue(acme.optimize(dataset).startsWith("done"));

        assertEquals(8, count("SELECT count(*) FROM " + dataset), "optimize kept one copy of each (trace_id, span_id)");
        assertEquals(8, count("SELECT count(DISTINCT (trace_id, span_id)) FROM " + dataset));
        assertEquals(SpanViews.of(traces(export)), SpanViews.of(trace(acme, traceId, dataset)), "and the copy kept is the span");
    }

    @Test
    void anExportOverTheLimitIs413OrResourceExhaustedAndStoresNothing() throws Exception {
        String traceId = newTraceId();
        ExportTraceServiceRequest large = export(traceId, "large-service", 20_000);
        assertTrue(large.getSerializedSize() > 1 << 20, "over the test server's 1 MiB");

        for (int attempt = 0; attempt < 5; attempt++) {
            // Answered before the body was read, the 413 reached a client still sending as a reset connection (1 in ~20).
            HttpResponse<byte[]> refused = post(large.toByteArray(), "application/x-protobuf", ACME_KEY, null);
            assertEquals(413, refused.statusCode());
            assertTrue(com.google.rpc.Status.parseFrom(refused.body()).getMessage().contains("lakeshard.otlp.max-request-bytes"));
        }
        HttpResponse<byte[]> bomb = post(gzip(large.toByteArray()), "application/x-protobuf", ACME_KEY, "gzip");
        assertEquals(413, bomb.statusCode(), "the limit holds after decompression");
        StatusRuntimeException overGrpc = failure(() -> grpc.export().addHeader("authorization", "Bearer " + ACME_KEY).invoke(large));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, overGrpc.getStatus().getCode());

        assertEquals(0, count("SELECT count(*) FROM otel.traces.spans WHERE trace_id = from_hex('" + traceId + "')"));
    }

    @Test
    void withoutAValidKeyAnExportIs401OrUnauthenticated() throws Exception {
        ExportTraceServiceRequest export = export(newTraceId(), "anonymous", 1);
        assertEquals(401, post(export.toByteArray(), "application/x-protobuf", null, null).statusCode());
        assertEquals(401, post(export.toByteArray(), "application/x-protobuf", "not-a-key", null).statusCode());
        assertEquals(Status.Code.UNAUTHENTICATED, failure(() -> grpc.export().invoke(export)).getStatus().getCode());
        assertEquals(Status.Code.UNAUTHENTICATED,
                failure(() -> grpc.export().addHeader("authorization", "Bearer nope").invoke(export)).getStatus().getCode());
        assertEquals(415, post(export.toByteArray(), "text/plain", ACME_KEY, null).statusCode());
    }

    @Test
    void aTenantsSpansGoToItsOwnDatasetsAndANamedOneMustBeATraceDataset() throws Exception {
        String traceId = newTraceId();
        ExportTraceServiceRequest export = export(traceId, "globex-service", 2);
        assertEquals(200, post(export.toByteArray(), "application/x-protobuf", GLOBEX_KEY, null).statusCode());
        try (LakeshardClient globex = LakeshardClient.connect("127.0.0.1", server.port(), GLOBEX_KEY)) {
            assertEquals(2, SpanViews.of(trace(globex, traceId)).size());
        }
        assertEquals(0, count("SELECT count(*) FROM otel.traces.spans WHERE trace_id = from_hex('" + traceId + "')"),
                "acme's default dataset does not hold globex's spans");

        HttpRequest named = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/traces"))
                .header("content-type", "application/x-protobuf").header("authorization", "Bearer " + ACME_KEY)
                .header("x-lakeshard-dataset", "otel.staging.spans")
                .POST(HttpRequest.BodyPublishers.ofByteArray(export.toByteArray())).build();
        assertEquals(200, http.send(named, HttpResponse.BodyHandlers.ofByteArray()).statusCode());
        assertEquals(2, count("SELECT count(*) FROM otel.staging.spans"), "a named trace dataset is created on its first export");

        acme.register("obs.logs.lines", new Schema(List.of(Field.notNullable("line", ArrowType.Utf8.INSTANCE),
                Field.nullable("host", ArrowType.Utf8.INSTANCE))), List.of());
        StatusRuntimeException notTraces = failure(() -> grpc.export().addHeader("authorization", "Bearer " + ACME_KEY)
                .addHeader("x-lakeshard-dataset", "obs.logs.lines").invoke(export));
        assertEquals(Status.Code.INVALID_ARGUMENT, notTraces.getStatus().getCode());
        assertTrue(notTraces.getStatus().getDescription().contains("not a trace dataset"), notTraces.getStatus().getDescription());
    }

    @Test
    void manySmallConcurrentExportsBecomeFewCommitsAndFiles() throws Exception {
        String dataset = "otel.burst.spans";
        // The dataset exists before the burst, so that the burst measures the writes alone.
        assertEquals(200, postTo(dataset, export(newTraceId(), "warm-up", 1)).statusCode());
        long versionBefore = version(dataset);
        int exporters = 200;
        List<CompletableFuture<HttpResponse<byte[]>>> sent = new ArrayList<>();
        for (int i = 0; i < exporters; i++) {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/traces"))
                    .header("content-type", "application/x-protobuf").header("authorization", "Bearer " + ACME_KEY)
                    .header("x-lakeshard-dataset", dataset)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(export(newTraceId(), "burst-" + (i % 20), 10).toByteArray())).build();
            sent.add(http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()));
        }
        for (CompletableFuture<HttpResponse<byte[]>> response : sent) {
            assertEquals(200, response.get(2, TimeUnit.MINUTES).statusCode());
        }
        long commits = version(dataset) - versionBefore;
        long files = dataFiles(dataset) - 1;
        System.out.printf("%d exports of 10 spans: %d commits, %d new data files%n", exporters, commits, files);
        assertEquals(exporters * 10 + 1, count("SELECT count(*) FROM " + dataset));
        assertTrue(commits <= exporters / 4, commits + " commits for " + exporters + " exports: group commit should coalesce them");
        assertTrue(files <= commits, files + " files for " + commits + " commits: one file a commit for one day's spans");
    }

    @Test
    void largeConcurrentExportsAreEachStoredOnce() throws Exception {
        String dataset = "otel.large.spans";
        assertEquals(200, postTo(dataset, export(newTraceId(), "warm-up", 1)).statusCode());
        long filesBefore = dataFiles(dataset);
        // Each export is over the inline threshold: the frontend encodes its file. How many exports share a write
        // depends on how fast they arrive beside how fast writes commit; ExportBatcherTest proves the batching itself.
        int exporters = 24;
        int spans = 2_000;
        List<CompletionStage<ExportTraceServiceResponse>> sent = new ArrayList<>();
        for (int i = 0; i < exporters; i++) {
            sent.add(grpc.export().addHeader("authorization", "Bearer " + ACME_KEY).addHeader("x-lakeshard-dataset", dataset)
                    .invoke(export(newTraceId(), "large-" + (i % 4), spans)));
        }
        for (CompletionStage<ExportTraceServiceResponse> response : sent) {
            assertFalse(await(response).hasPartialSuccess());
        }
        long files = dataFiles(dataset) - filesBefore;
        System.out.printf("%d exports of %d spans: %d new data files%n", exporters, spans, files);
        assertEquals((long) exporters * spans + 1, count("SELECT count(*) FROM " + dataset));
        assertEquals(exporters, count("SELECT count(DISTINCT trace_id) FROM " + dataset + " WHERE service_name LIKE 'large-%'"));
        assertEquals(exporters * spans, count("SELECT count(DISTINCT (trace_id, span_id)) FROM " + dataset
                + " WHERE service_name LIKE 'large-%'"), "each span once");
        assertTrue(files <= exporters, files + " files for " + exporters + " exports of one day's spans: one at most each");
    }

    private HttpResponse<byte[]> postTo(String dataset, ExportTraceServiceRequest export) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/traces"))
                .header("content-type", "application/x-protobuf").header("authorization", "Bearer " + ACME_KEY)
                .header("x-lakeshard-dataset", dataset).POST(HttpRequest.BodyPublishers.ofByteArray(export.toByteArray())).build();
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    private long version(String dataset) {
        return acme.describe(dataset).getVersion();
    }

    private long dataFiles(String dataset) throws IOException {
        Path table = dataDir.resolve("storage").resolve("acme").resolve(dataset.replace('.', '/'));
        try (Stream<Path> files = Files.walk(table)) {
            return files.filter(file -> file.toString().endsWith(".parquet") && !file.toString().contains("_delta_log")).count();
        }
    }

    /** A hand-made export: {@code spans} spans of one trace, with values the SDKs cannot make (bytes, key-value lists). */
    private static ExportTraceServiceRequest export(String traceId, String service, int spans) {
        ScopeSpans.Builder scope = ScopeSpans.newBuilder();
        scope.getScopeBuilder().setName("hand-made").setVersion("1");
        long start = Instant.now().toEpochMilli() * 1_000_000L + 7;
        for (int i = 0; i < spans; i++) {
            byte[] spanId = new byte[8];
            ThreadLocalRandom.current().nextBytes(spanId);
            spanId[0] = 1;
            scope.addSpans(Span.newBuilder()
                    .setTraceId(ByteString.copyFrom(HEX.parseHex(traceId)))
                    .setSpanId(ByteString.copyFrom(spanId))
                    .setName("op-" + (i % 7))
                    .setKindValue(1 + i % 5)
                    .setStartTimeUnixNano(start + i * 1_000L)
                    .setEndTimeUnixNano(start + i * 1_000L + 5_000_000L)
                    .addAttributes(attribute("payload", AnyValue.newBuilder().setBytesValue(ByteString.copyFrom(spanId)).build()))
                    .addAttributes(attribute("owner", AnyValue.newBuilder().setKvlistValue(KeyValueList.newBuilder()
                            .addValues(attribute("team", AnyValue.newBuilder().setStringValue("carts").build()))
                            .addValues(attribute("tags", AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder()
                                    .addValues(AnyValue.newBuilder().setIntValue(i))
                                    .addValues(AnyValue.newBuilder().setStringValue("x"))).build()))).build())));
        }
        return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
                .setResource(Resource.newBuilder().addAttributes(attribute("service.name", AnyValue.newBuilder().setStringValue(service).build())))
                .addScopeSpans(scope)).build();
    }

    private static KeyValue attribute(String key, AnyValue value) {
        return KeyValue.newBuilder().setKey(key).setValue(value).build();
    }

    private static TracesData traces(ExportTraceServiceRequest export) {
        return TracesData.newBuilder().addAllResourceSpans(export.getResourceSpansList()).build();
    }

    private static String traceIdOf(ExportTraceServiceRequest export) {
        return HEX.formatHex(export.getResourceSpans(0).getScopeSpans(0).getSpans(0).getTraceId().toByteArray());
    }

    private static String newTraceId() {
        byte[] id = new byte[16];
        ThreadLocalRandom.current().nextBytes(id);
        id[0] = 0x42;
        return HEX.formatHex(id);
    }

    /** A trace as a client asks Lakeshard for it by id: its spans, each once, as OTLP. */
    private static TracesData trace(LakeshardClient client, String traceId) {
        return trace(client, traceId, SpanSchema.DEFAULT_DATASET.toString());
    }

    private static TracesData trace(LakeshardClient client, String traceId, String dataset) {
        return client.getTrace(GetTraceRequest.newBuilder().setTraceId(traceId).setDataset(dataset).setIncludeOtlp(true)
                .setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES).build()).otlp().orElseThrow();
    }

    private long count(String sql) {
        try (QueryResults results = acme.query(sql)) {
            return ((Number) results.rows().next().values().iterator().next()).longValue();
        }
    }

    private HttpResponse<byte[]> post(byte[] body, String contentType, String key, String encoding) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/traces"))
                .header("content-type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (key != null) {
            request.header("authorization", "Bearer " + key);
        }
        if (encoding != null) {
            request.header("content-encoding", encoding);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
            zip.write(bytes);
        }
        return out.toByteArray();
    }

    private static void assertSucceeds(CompletableResultCode result) {
        result.join(60, TimeUnit.SECONDS);
        assertTrue(result.isSuccess(), "the exporter's export succeeds: " + result.getFailureThrowable());
    }

    private static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    private static StatusRuntimeException failure(Callable<CompletionStage<?>> call) throws Exception {
        try {
            call.call().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StatusRuntimeException status) {
                return status;
            }
            throw e;
        }
        throw new AssertionError("the call succeeded");
    }

    /** The npm project beside the test sources, installed from the registry once into a work directory. */
    private static final class NodeProject {
        private NodeProject() {}

        static Path install(Path work) throws IOException, InterruptedException {
            Path source = Path.of("src/test/otlp-js");
            for (String file : List.of("package.json", "export.mjs")) {
                Files.copy(source.resolve(file), work.resolve(file));
            }
            run(work, List.of("npm", "install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"), Map.of(), Duration.ofMinutes(5));
            return work;
        }

        static List<String> run(Path project, String script, Map<String, String> environment) throws IOException, InterruptedException {
            return run(project, List.of("node", script), environment, Duration.ofMinutes(2));
        }

        private static List<String> run(Path directory, List<String> command, Map<String, String> environment, Duration timeout)
                throws IOException, InterruptedException {
            ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(false);
            builder.environment().putAll(environment);
            Process process = builder.start();
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(command + " did not finish in " + timeout);
            }
            String stdout = new String(out.join(), StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new AssertionError(command + " exited with " + process.exitValue() + ":\n" + new String(err.join(), StandardCharsets.UTF_8));
            }
            return stdout.lines().filter(line -> !line.isBlank()).toList();
        }

        private static byte[] readAll(InputStream in) {
            try (in) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
