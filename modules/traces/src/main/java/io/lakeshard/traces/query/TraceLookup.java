package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import java.util.Optional;

/**
 * One trace by id.
 *
 * @param timeHint where its spans start, if the caller knows: only those files are read
 * @param maxSpans the most spans returned, the earliest first
 * @param includeOtlp also the spans as OTLP
 */
public record TraceLookup(DatasetName dataset, TraceId traceId, Optional<TimeRange> timeHint, int maxSpans, boolean includeOtlp) {
    public static final int DEFAULT_MAX_SPANS = 10_000;
    public static final int MAX_SPANS = 100_000;

    public TraceLookup {
        requireNonNull(dataset, "dataset is null");
        requireNonNull(traceId, "traceId is null");
        requireNonNull(timeHint, "timeHint is null");
        if (maxSpans < 1 || maxSpans > MAX_SPANS) {
            throw new InvalidInputException("max_spans", "must be 1 to " + MAX_SPANS + ", got " + maxSpans);
        }
    }
}
