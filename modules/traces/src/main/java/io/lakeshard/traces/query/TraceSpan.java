package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * What the span tree and a waterfall need of a span.
 *
 * @param spanId 16 lowercase hex digits
 * @param parentSpanId empty for a root
 * @param statusCode OTLP's: 0 unset, 1 ok, 2 error
 */
public record TraceSpan(
        String spanId,
        Optional<String> parentSpanId,
        String serviceName,
        String name,
        long startTimeUnixNano,
        long durationNanos,
        int statusCode) {

    public TraceSpan {
        requireNonNull(spanId, "spanId is null");
        requireNonNull(parentSpanId, "parentSpanId is null");
        requireNonNull(serviceName, "serviceName is null");
        requireNonNull(name, "name is null");
    }
}
