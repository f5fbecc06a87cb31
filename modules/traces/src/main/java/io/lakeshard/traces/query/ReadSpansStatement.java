package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.lakeshard.traces.SpanSchema;
import io.lakeshard.traces.otlp.ArrowToOtlp;
import java.util.Optional;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * One page of a span read: the spans after a cursor, in order, turned into OTLP as the batches arrive. A span a
 * retried export stored twice is two rows with the same (start, trace id, span id), next to each other in this order
 * (or the second beyond the page's end, where the next page's cursor skips it): the copy is left out.
 */
public final class ReadSpansStatement implements TraceStatement<SpanPage> {
    private final SpanRead read;
    private final Optional<SpanCursor> after;
    private final ArrowToOtlp otlp = new ArrowToOtlp();
    private SpanCursor last;

    /** @param after the previous page's end; empty for the first page */
    public ReadSpansStatement(SpanRead read, Optional<SpanCursor> after) {
        this.read = requireNonNull(read, "read is null");
        this.after = requireNonNull(after, "after is null");
    }

    @Override
    public String sql() {
        return TraceSql.spans(read, after);
    }

    @Override
    public long rowLimit() {
        return read.pageSpans();
    }

    @Override
    public void add(VectorSchemaRoot batch) {
        FieldVector starts = batch.getVector(SpanSchema.START_TIME_UNIX_NANO);
        FieldVector traceIds = batch.getVector(SpanSchema.TRACE_ID);
        FieldVector spanIds = batch.getVector(SpanSchema.SPAN_ID);
        otlp.add(batch, row -> {
            SpanCursor key = new SpanCursor(((Number) starts.getObject(row)).longValue(),
                    ByteString.copyFrom((byte[]) traceIds.getObject(row)), ByteString.copyFrom((byte[]) spanIds.getObject(row)));
            boolean copy = key.equals(last);
            last = key;
            return !copy;
        });
    }

    /** @param truncated the engine cut the page at its size: more spans follow */
    @Override
    public SpanPage result(boolean truncated) {
        return new SpanPage(otlp.build(), otlp.spanCount(), truncated ? Optional.of(last) : Optional.empty());
    }
}
