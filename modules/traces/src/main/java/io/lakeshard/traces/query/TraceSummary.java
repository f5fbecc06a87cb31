package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A trace as its spans in a search's time range show it.
 *
 * @param rootServiceName of the span with no parent (the earliest, if several); with none, of the earliest span
 * @param rootMissing true when no span without a parent is in the range, so the root names are the earliest span's
 * @param durationNanos the latest span end minus the earliest start
 * @param spanCount distinct span ids
 * @param serviceNames sorted
 */
public record TraceSummary(
        TraceId traceId,
        String rootServiceName,
        String rootSpanName,
        boolean rootMissing,
        long startTimeUnixNano,
        long durationNanos,
        long spanCount,
        long errorCount,
        List<String> serviceNames) {

    public TraceSummary {
        requireNonNull(traceId, "traceId is null");
        requireNonNull(rootServiceName, "rootServiceName is null");
        requireNonNull(rootSpanName, "rootSpanName is null");
        serviceNames = List.copyOf(requireNonNull(serviceNames, "serviceNames is null"));
    }
}
