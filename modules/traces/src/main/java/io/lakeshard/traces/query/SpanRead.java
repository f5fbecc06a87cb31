package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import java.util.List;

/**
 * The spans of a time range, read a page at a time in the order (start, trace id, span id), optionally of some
 * services or traces only: what a replay sends on as OTLP.
 *
 * @param serviceNames only spans of these services; empty: every service
 * @param traceIds only spans of these traces; empty: every trace
 * @param pageSpans the most spans of one page
 */
public record SpanRead(DatasetName dataset, TimeRange range, List<String> serviceNames, List<TraceId> traceIds, int pageSpans) {
    public static final int DEFAULT_PAGE_SPANS = 1_000;
    public static final int MAX_PAGE_SPANS = 10_000;
    /** Services or trace ids a read may name: each becomes a literal of the page statement, which has to stay small. */
    public static final int MAX_FILTER_VALUES = 1_000;

    public SpanRead {
        requireNonNull(dataset, "dataset is null");
        requireNonNull(range, "range is null");
        serviceNames = List.copyOf(requireNonNull(serviceNames, "serviceNames is null"));
        traceIds = List.copyOf(requireNonNull(traceIds, "traceIds is null"));
        if (pageSpans < 1 || pageSpans > MAX_PAGE_SPANS) {
            throw new InvalidInputException("page_spans", "must be 1 to " + MAX_PAGE_SPANS + ", got " + pageSpans);
        }
        if (serviceNames.size() > MAX_FILTER_VALUES) {
            throw new InvalidInputException("service_names", "at most " + MAX_FILTER_VALUES + ", got " + serviceNames.size());
        }
        if (traceIds.size() > MAX_FILTER_VALUES) {
            throw new InvalidInputException("trace_ids", "at most " + MAX_FILTER_VALUES + ", got " + traceIds.size());
        }
        for (int i = 0; i < serviceNames.size(); i++) {
            if (serviceNames.get(i).isEmpty()) {
                throw new InvalidInputException("service_names[" + i + "]", "must not be empty");
            }
        }
    }
}
