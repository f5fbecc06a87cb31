package io.lakeshard.client.replay;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.Status;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * OTLP/HTTP with protobuf bodies, through the JDK's client. HTTP/1.1, as OpenTelemetry's exporters speak it: a
 * plain-text HTTP/2 upgrade of a request with a body is refused by some servers (Lakeshard's among them).
 */
final class HttpTarget implements OtlpTarget {
    /** The answers OTLP/HTTP says to retry. */
    private static final Set<Integer> RETRYABLE = Set.of(429, 502, 503, 504);
    private static final String PATH = "/v1/traces";
    private static final int MAX_MESSAGE = 300;

    private final HttpClient http;
    private final URI uri;
    private final Map<String, String> headers;
    private final Duration timeout;

    HttpTarget(URI endpoint, Map<String, String> headers, Duration timeout) {
        this.uri = traces(requireNonNull(endpoint, "endpoint is null"));
        this.headers = new LinkedHashMap<>(requireNonNull(headers, "headers is null"));
        this.timeout = requireNonNull(timeout, "timeout is null");
        // Refused here, before anything is read: a header the JDK's client sets itself (host, content-length, ...).
        HttpRequest.Builder check = HttpRequest.newBuilder(uri);
        this.headers.forEach(check::header);
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
    }

    private static URI traces(URI endpoint) {
        String path = endpoint.getPath() == null ? "" : endpoint.getPath();
        if (path.endsWith(PATH)) {
            return endpoint;
        }
        try {
            return new URI(endpoint.getScheme(), endpoint.getUserInfo(), endpoint.getHost(), endpoint.getPort(),
                    (path.endsWith("/") ? path.substring(0, path.length() - 1) : path) + PATH, endpoint.getQuery(), null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not an endpoint: " + endpoint, e);
        }
    }

    @Override
    public Answer send(ExportTraceServiceRequest export) throws InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout)
                .header("Content-Type", "application/x-protobuf")
                .POST(HttpRequest.BodyPublishers.ofByteArray(export.toByteArray()));
        headers.forEach(request::header);
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            return Answer.retry("no answer from " + uri + " within " + timeout.toMillis() + " ms", Optional.empty());
        } catch (IOException e) {
            // Refused or reset connections: a collector restarting, a proxy between two.
            return Answer.retry("cannot reach " + uri + ": " + e, Optional.empty());
        }
        int status = response.statusCode();
        if (status / 100 == 2) {
            try {
                ExportTracePartialSuccess partial = ExportTraceServiceResponse.parseFrom(response.body()).getPartialSuccess();
                return Answer.accepted(partial.getRejectedSpans(), partial.getErrorMessage());
            } catch (InvalidProtocolBufferException e) {
                // Taken, says the status; the body is not OTLP's (a proxy's, say), so nothing was reported rejected.
                return Answer.accepted(0, "");
            }
        }
        String message = "HTTP " + status + " from " + uri + message(response);
        return RETRYABLE.contains(status) ? Answer.retry(message, retryAfter(response)) : Answer.refused(message);
    }

    /** The error body's words: a {@code google.rpc.Status}, as OTLP/HTTP answers, or the body as text. */
    private static String message(HttpResponse<byte[]> response) {
        byte[] body = response.body();
        if (body.length == 0) {
            return "";
        }
        String text;
        if (response.headers().firstValue("content-type").orElse("").startsWith("application/x-protobuf")) {
            try {
                text = Status.parseFrom(body).getMessage();
            } catch (InvalidProtocolBufferException e) {
                text = "";
            }
        } else {
            text = new String(body, StandardCharsets.UTF_8).strip();
        }
        if (text.isEmpty()) {
            return "";
        }
        return ": " + (text.length() > MAX_MESSAGE ? text.substring(0, MAX_MESSAGE) + "..." : text);
    }

    /** Retry-After as seconds or an HTTP date. */
    private static Optional<Duration> retryAfter(HttpResponse<?> response) {
        Optional<String> header = response.headers().firstValue("retry-after").map(String::strip);
        if (header.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(header.get()))));
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(header.get(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration wait = Duration.between(Instant.now(), at);
                return Optional.of(wait.isNegative() ? Duration.ZERO : wait);
            } catch (DateTimeParseException notADate) {
                return Optional.empty();
            }
        }
    }

    @Override
    public void close() {
        // The JDK 17 client has no close; its threads end once it is unreachable.
    }
}
