package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import java.util.List;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * One trace: its span rows in tree order (row {@code i} is {@code spans.get(i)}), as a query returns the table's
 * columns, and the tree. Close it to free the rows.
 *
 * @param truncated the trace has more spans than were read
 */
public record Trace(TraceId traceId, VectorSchemaRoot rows, List<SpanNode> spans, boolean truncated) implements AutoCloseable {
    public Trace {
        requireNonNull(traceId, "traceId is null");
        requireNonNull(rows, "rows is null");
        spans = List.copyOf(requireNonNull(spans, "spans is null"));
    }

    @Override
    public void close() {
        rows.close();
    }
}
