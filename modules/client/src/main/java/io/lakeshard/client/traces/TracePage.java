package io.lakeshard.client.traces;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/**
 * A page of search results, newest first.
 *
 * @param nextCursor for the next page (the same request with it as page_cursor); empty on the last page
 */
public record TracePage(List<TraceSummary> traces, Optional<String> nextCursor) {
    public TracePage {
        traces = List.copyOf(requireNonNull(traces, "traces is null"));
        requireNonNull(nextCursor, "nextCursor is null");
    }
}
