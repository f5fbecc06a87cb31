package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.QueryResults;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.storage.S3FaultProxy;
import io.lakeshard.storage.S3TestServer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.RetryPolicy;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tables' store goes away under an OTLP exporter: exports are refused as retryable (503 with Retry-After), the
 * SDK's exporter retries on its own, and once the store is back its retry is stored, each span once.
 */
class OtlpStorageOutageTest {
    private static final String KEY = "acme-otlp-outage";
    private static final Pattern FAILED_EXPORTS = Pattern.compile("lakeshard_otlp_exports_total\\{result=\"failed\"} (\\d+)");

    @Test
    void anExportWhileTheStoreIsGoneIs503AndTheExportersRetryLandsOnce(@TempDir Path dir) throws Exception {
        try (S3TestServer s3 = S3TestServer.start(dir.resolve("s3")); S3FaultProxy link = S3FaultProxy.start(s3.endpoint())) {
            String bucket = s3.createBucket();
            try (LakeshardServer server = TestServers.start(dir.resolve("node"), settings(bucket, link.endpoint()));
                    LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
                String endpoint = "http://127.0.0.1:" + server.port() + "/v1/traces";
                List<SpanData> first = trace("before");
                try (SpanExporter exporter = exporter(endpoint)) {
                    assertTrue(exporter.export(first).join(60, TimeUnit.SECONDS).isSuccess(), "the store is there: stored");

                    link.cutOff(true);
                    HttpResponse<String> refused = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(URI.create(endpoint))
                                    .header("content-type", "application/json").header("authorization", "Bearer " + KEY)
                                    .POST(HttpRequest.BodyPublishers.ofString(json(first.get(0)))).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertEquals(503, refused.statusCode(), refused.body());
                    assertEquals("1", refused.headers().firstValue("retry-after").orElseThrow());

                    long failedBefore = failedExports(server);
                    List<SpanData> during = trace("during");
                    CompletableResultCode export = exporter.export(during);
                    awaitFailedExports(server, failedBefore + 1);
                    link.cutOff(false);
                    assertTrue(export.join(2, TimeUnit.MINUTES).isSuccess(), "the exporter's own retry succeeds once the store is back");
                    assertTrue(failedExports(server) > failedBefore, "the exporter's first attempt was refused");

                    for (List<SpanData> spans : List.of(first, during)) {
                        String traceId = spans.get(0).getTraceId();
                        assertEquals(spans.size(), count(client, "SELECT count(*) FROM otel.traces.spans WHERE trace_id = from_hex('"
                                + traceId + "')"), "trace " + traceId + ": every span, stored once, nothing of the refused attempts");
                    }
                }
            }
        }
    }

    /** Retries with short back-offs, so the retry comes soon after the store is back; five attempts, the SDK's most. */
    private static SpanExporter exporter(String endpoint) {
        return OtlpHttpSpanExporter.builder().setEndpoint(endpoint).addHeader("authorization", "Bearer " + KEY)
                .setRetryPolicy(RetryPolicy.builder().setMaxAttempts(5).setInitialBackoff(Duration.ofMillis(500))
                        .setMaxBackoff(Duration.ofSeconds(5)).setBackoffMultiplier(2).build())
                .build();
    }

    /** A trace of two spans as the SDK records them (read before the provider's shutdown clears the recorder). */
    private static List<SpanData> trace(String name) {
        InMemorySpanExporter recorded = InMemorySpanExporter.create();
        try (SdkTracerProvider provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(recorded)).build()) {
            Tracer tracer = provider.get("outage-test");
            Span root = tracer.spanBuilder(name).startSpan();
            tracer.spanBuilder(name + " child").setParent(Context.root().with(root)).startSpan().end();
            root.end();
            return List.copyOf(recorded.getFinishedSpanItems());
        }
    }

    private static String json(SpanData span) {
        long now = Instant.now().toEpochMilli() * 1_000_000L;
        return """
                {"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"%s","spanId":"%s","name":"raw",
                 "startTimeUnixNano":"%d","endTimeUnixNano":"%d"}]}]}]}""".formatted(span.getTraceId(), "0a0b0c0d0e0f1011", now, now + 1000);
    }

    private static void awaitFailedExports(LakeshardServer server, long atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (failedExports(server) < atLeast) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no failed export within a minute");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    private static long failedExports(LakeshardServer server) {
        Matcher matcher = FAILED_EXPORTS.matcher(server.service().metricsText());
        return matcher.find() ? Long.parseLong(matcher.group(1)) : 0;
    }

    private static long count(LakeshardClient client, String sql) {
        try (QueryResults results = client.query(sql)) {
            return ((Number) results.rows().next().values().iterator().next()).longValue();
        }
    }

    private static String settings(String bucket, URI endpoint) {
        return TestServers.onS3(bucket, endpoint) + "lakeshard.server.api-keys = [{ tenant = \"acme\", sha256 = \"%s\" }]\n"
                .formatted(ApiKeys.sha256(KEY));
    }
}
