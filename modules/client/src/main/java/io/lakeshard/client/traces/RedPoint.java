package io.lakeshard.client.traces;

import static java.util.Objects.requireNonNull;

/**
 * Requests, errors and span durations of a service (and span name) in one time bucket.
 *
 * @param spanName empty unless the request grouped by span name
 */
public record RedPoint(
        String serviceName,
        String spanName,
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
