package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import io.opentelemetry.proto.trace.v1.TracesData;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * One trace: its span rows in tree order (row {@code i} is {@code spans.get(i)}), as a query returns the table's
 * columns, and the tree. Close it to free the rows.
 *
 * @param truncated the trace has more spans than were read
 * @param otlp the same spans as OTLP, when asked for
 */
public record Trace(TraceId traceId, VectorSchemaRoot rows, List<SpanNode> spans, boolean truncated, Optional<TracesData> otlp)
        implements AutoCloseable {
    public Trace {
        requireNonNull(traceId, "traceId is null");
        requireNonNull(rows, "rows is null");
        spans = List.copyOf(requireNonNull(spans, "spans is null"));
        requireNonNull(otlp, "otlp is null");
    }

    @Override
    public void close() {
        rows.close();
    }
}
