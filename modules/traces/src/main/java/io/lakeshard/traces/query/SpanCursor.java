package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;

/**
 * A span's place in the order of a span read: its start, then its trace id and span id as bytes (the order DuckDB
 * gives blobs). A page ends at one; the next page starts after it.
 */
public record SpanCursor(long startUnixNano, ByteString traceId, ByteString spanId) {
    public SpanCursor {
        requireNonNull(traceId, "traceId is null");
        requireNonNull(spanId, "spanId is null");
    }
}
