package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import io.opentelemetry.proto.trace.v1.TracesData;
import java.util.Optional;

/**
 * One page of a span read.
 *
 * @param spans the page's spans as OTLP, grouped by resource and scope
 * @param spanCount how many spans {@code spans} holds
 * @param next where the next page starts; empty after the last page
 */
public record SpanPage(TracesData spans, long spanCount, Optional<SpanCursor> next) {
    public SpanPage {
        requireNonNull(spans, "spans is null");
        requireNonNull(next, "next is null");
    }
}
