package io.lakeshard.client.traces;

import static java.util.Objects.requireNonNull;

/**
 * A span in its trace's tree.
 *
 * @param parentSpanId empty for a root
 * @param depth 0 for roots and orphans
 * @param order the position in depth-first order
 * @param orphan the parent it names is not in the trace: drawn as an extra root
 * @param statusCode OTLP's: 0 unset, 1 ok, 2 error
 */
public record Span(
        String spanId,
        String parentSpanId,
        int depth,
        int order,
        boolean root,
        boolean orphan,
        String serviceName,
        String name,
        long startTimeUnixNano,
        long durationNanos,
        int statusCode) {

    public static final int STATUS_ERROR = 2;

    public Span {
        requireNonNull(spanId, "spanId is null");
        requireNonNull(parentSpanId, "parentSpanId is null");
        requireNonNull(serviceName, "serviceName is null");
        requireNonNull(name, "name is null");
    }

    public boolean error() {
        return statusCode == STATUS_ERROR;
    }

    public long endTimeUnixNano() {
        return startTimeUnixNano + durationNanos;
    }
}
