package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * Requests, errors and durations of one service (and span name) in one time bucket. Every span is a request.
 *
 * @param spanName present when the query grouped by span name
 * @param ratePerSecond requests per second of the part of the bucket inside the query's range
 * @param errorRate errors over requests
 * @param p50Nanos span durations at the 50th percentile, interpolated between the nearest ranks
 */
public record RedPoint(
        String serviceName,
        Optional<String> spanName,
        long bucketStartUnixNano,
        long requests,
        double ratePerSecond,
        long errors,
        double errorRate,
        double p50Nanos,
        double p95Nanos,
        double p99Nanos) {

    public RedPoint {
        requireNonNull(serviceName, "serviceName is null");
        requireNonNull(spanName, "spanName is null");
    }
}
