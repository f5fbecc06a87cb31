package io.lakeshard.client.traces;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.lakeshard.arrow.ArrowStreams;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A trace: its spans in tree order (depth first, siblings by start time), each once.
 *
 * @param truncated the trace has more spans than the request's max_spans
 * @param arrowIpc the span rows with every column, in the same order, as an Arrow IPC stream
 * @param otlp the spans as OTLP, when the request asked for them
 */
public record Trace(String traceId, List<Span> spans, boolean truncated, ByteString arrowIpc, Optional<TracesData> otlp) {
    public Trace {
        requireNonNull(traceId, "traceId is null");
        spans = List.copyOf(requireNonNull(spans, "spans is null"));
        requireNonNull(arrowIpc, "arrowIpc is null");
        requireNonNull(otlp, "otlp is null");
    }

    /** The span rows, every column; the caller closes them. */
    public VectorSchemaRoot rows(BufferAllocator allocator) {
        try {
            return ArrowStreams.readAll(arrowIpc.newInput(), allocator);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public long startTimeUnixNano() {
        return spans.stream().mapToLong(Span::startTimeUnixNano).min().orElse(0);
    }

    /** The latest end minus the earliest start. */
    public long durationNanos() {
        return spans.stream().mapToLong(Span::endTimeUnixNano).max().orElse(0) - startTimeUnixNano();
    }

    /** Sorted. */
    public List<String> serviceNames() {
        return List.copyOf(new TreeSet<>(spans.stream().map(Span::serviceName).toList()));
    }
}
