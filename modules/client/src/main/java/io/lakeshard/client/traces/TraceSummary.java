package io.lakeshard.client.traces;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A trace found by a search.
 *
 * @param rootMissing no span without a parent is in the range: the root names are the earliest span's
 * @param spanCount distinct spans in the range
 */
public record TraceSummary(
        String traceId,
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
