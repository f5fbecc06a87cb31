package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import java.time.Duration;
import java.util.Optional;

/**
 * Rate, errors and duration by service (and span name) per time bucket.
 *
 * @param range empty: the caller's default (the last hour)
 * @param bucket whole seconds; buckets start at multiples of it since the epoch, so every query lines up
 * @param serviceName empty: every service
 */
public record RedQuery(DatasetName dataset, Optional<TimeRange> range, Duration bucket, Optional<String> serviceName, boolean bySpanName) {
    public static final Duration DEFAULT_BUCKET = Duration.ofMinutes(1);
    /** Beyond this a chart has more points than pixels: ask for wider buckets. */
    public static final long MAX_BUCKETS = 10_000;

    public RedQuery {
        requireNonNull(dataset, "dataset is null");
        requireNonNull(range, "range is null");
        requireNonNull(bucket, "bucket is null");
        requireNonNull(serviceName, "serviceName is null");
        if (bucket.toSeconds() < 1 || bucket.toNanos() % 1_000_000_000L != 0) {
            throw new InvalidInputException("bucket_seconds", "must be a positive number of seconds, got " + bucket);
        }
    }

    /** @throws InvalidInputException when the range holds more than {@link #MAX_BUCKETS} buckets */
    void checkBuckets(TimeRange resolved) {
        long buckets = resolved.lengthNanos() / bucket.toNanos() + 1;
        if (buckets > MAX_BUCKETS) {
            throw new InvalidInputException("bucket_seconds", "the time range holds " + buckets + " buckets of " + bucket.toSeconds()
                    + " s, at most " + MAX_BUCKETS + " are allowed; widen the buckets or narrow the range");
        }
    }
}
