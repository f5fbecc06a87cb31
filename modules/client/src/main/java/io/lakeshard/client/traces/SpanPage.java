package io.lakeshard.client.traces;

import static java.util.Objects.requireNonNull;

import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * One page of a span read: spans in the order (start, trace id, span id), grouped by resource and scope.
 *
 * @param spansSoFar the spans of this page and the pages before it
 */
public record SpanPage(TracesData spans, long spansSoFar) {
    public SpanPage {
        requireNonNull(spans, "spans is null");
    }

    public long spanCount() {
        return all().count();
    }

    /** The earliest start in the page, nanoseconds since the epoch. */
    public OptionalLong firstStartUnixNano() {
        return all().mapToLong(Span::getStartTimeUnixNano).min();
    }

    /** The latest start in the page. */
    public OptionalLong lastStartUnixNano() {
        return all().mapToLong(Span::getStartTimeUnixNano).max();
    }

    private Stream<Span> all() {
        return spans.getResourceSpansList().stream().flatMap(resource -> resource.getScopeSpansList().stream())
                .flatMap(scope -> scope.getSpansList().stream());
    }
}
