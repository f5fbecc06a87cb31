package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/**
 * One page of a search, newest trace first.
 *
 * @param nextCursor empty on the last page
 * @param range the range searched, defaults resolved
 */
public record TracePage(List<TraceSummary> traces, Optional<String> nextCursor, TimeRange range) {
    public TracePage {
        traces = List.copyOf(requireNonNull(traces, "traces is null"));
        requireNonNull(nextCursor, "nextCursor is null");
        requireNonNull(range, "range is null");
    }
}
