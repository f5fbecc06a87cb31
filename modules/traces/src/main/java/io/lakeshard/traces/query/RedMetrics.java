package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;

/** RED points by service, span name (if asked) and bucket; buckets without spans are not there. */
public record RedMetrics(List<RedPoint> points, Duration bucket, TimeRange range) {
    public RedMetrics {
        points = List.copyOf(requireNonNull(points, "points is null"));
        requireNonNull(bucket, "bucket is null");
        requireNonNull(range, "range is null");
    }
}
