package io.lakeshard.client.replay;

import static java.util.Objects.requireNonNull;

import io.lakeshard.client.LakeshardClient;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Where a replay sends spans: an OTLP trace endpoint (a Collector, another Lakeshard, any OTLP backend). */
public interface OtlpTarget extends AutoCloseable {
    /**
     * A target at {@code endpoint}, {@code http://host:port} or {@code https://host:port}. Over HTTP the exports are
     * posted to the endpoint's path with {@code /v1/traces} added (unless it ends so already), as OpenTelemetry's
     * OTEL_EXPORTER_OTLP_ENDPOINT is; over gRPC the endpoint has no path.
     *
     * @param client whose actor system and event loop a gRPC target's channel runs on
     * @param headers sent with every export: {@code authorization}, say
     * @param timeout how long one export may take
     * @throws IllegalArgumentException for an endpoint or a header the protocol cannot take
     */
    static OtlpTarget open(LakeshardClient client, URI endpoint, Protocol protocol, Map<String, String> headers, Duration timeout) {
        requireNonNull(endpoint, "endpoint is null");
        String scheme = String.valueOf(endpoint.getScheme()).toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || endpoint.getHost() == null) {
            throw new IllegalArgumentException("the endpoint is http://host:port or https://host:port, not '" + endpoint + "'");
        }
        return switch (protocol) {
            case GRPC -> GrpcTarget.open(client, endpoint, headers, timeout);
            case HTTP_PROTOBUF -> new HttpTarget(endpoint, headers, timeout);
        };
    }

    /** Sends one export and waits for the answer; a failure is an answer too, never thrown. */
    Answer send(ExportTraceServiceRequest export) throws InterruptedException;

    @Override
    void close();

    /** What became of one export. */
    enum Outcome {
        /** Taken; some spans may have been refused one by one ({@link Answer#rejectedSpans()}). */
        ACCEPTED,
        /** Not taken, but the target may take it later: send it again. */
        RETRY,
        /** Not taken, and sending it again would not change that. */
        REFUSED
    }

    /**
     * The target's answer to one export.
     *
     * @param rejectedSpans when accepted, the spans the target refused (OTLP's partial success)
     * @param message the partial success's error message, or why the export was not taken; empty on a full success
     * @param retryAfter when to retry, if the target said (HTTP's Retry-After, gRPC's RetryInfo)
     */
    record Answer(Outcome outcome, long rejectedSpans, String message, Optional<Duration> retryAfter) {
        public Answer {
            requireNonNull(outcome, "outcome is null");
            requireNonNull(message, "message is null");
            requireNonNull(retryAfter, "retryAfter is null");
        }

        static Answer accepted(long rejectedSpans, String message) {
            return new Answer(Outcome.ACCEPTED, rejectedSpans, message, Optional.empty());
        }

        static Answer retry(String message, Optional<Duration> retryAfter) {
            return new Answer(Outcome.RETRY, 0, message, retryAfter);
        }

        static Answer refused(String message) {
            return new Answer(Outcome.REFUSED, 0, message, Optional.empty());
        }
    }
}
