package io.lakeshard.testing;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Deterministic OpenTelemetry-like spans: traces of several spans, clustered by trace as a tail-sampling collector
 * emits them, about 1% with an error status. Used by the quickstart, tests and benchmarks.
 */
public final class SpanBatches {
    public static final Schema SCHEMA = new Schema(List.of(
            new Field("trace_id", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null),
            new Field("span_id", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null),
            new Field("service_name", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null),
            new Field("span_name", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null),
            new Field("start_time", FieldType.notNullable(new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")), null),
            new Field("duration_ms", FieldType.notNullable(new ArrowType.Int(64, true)), null),
            new Field("status_code", FieldType.notNullable(new ArrowType.Int(32, true)), null)));
    public static final int SPANS_PER_TRACE = 8;
    public static final int ERROR_STATUS = 2;
    private static final int SERVICES = 50;
    private static final int SPAN_NAMES = 2000;

    private SpanBatches() {}

    /** Trace {@code trace}'s id, as a 32-character hex string. */
    public static String traceId(long trace) {
        return String.format("%016x%016x", trace * 0x9E3779B97F4A7C15L, trace);
    }

    /**
     * Spans of traces {@code firstTrace ..}, {@value #SPANS_PER_TRACE} per trace, {@code rows} in all. Trace t starts
     * at {@code startMicros + t * spacingMicros}; its spans follow one another by a millisecond.
     */
    public static VectorSchemaRoot batch(BufferAllocator allocator, long firstTrace, int rows, long startMicros, long spacingMicros) {
        VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
        root.allocateNew();
        VarCharVector traceIds = (VarCharVector) root.getVector("trace_id");
        VarCharVector spanIds = (VarCharVector) root.getVector("span_id");
        VarCharVector services = (VarCharVector) root.getVector("service_name");
        VarCharVector names = (VarCharVector) root.getVector("span_name");
        TimeStampMicroTZVector starts = (TimeStampMicroTZVector) root.getVector("start_time");
        BigIntVector durations = (BigIntVector) root.getVector("duration_ms");
        IntVector statuses = (IntVector) root.getVector("status_code");
        for (int i = 0; i < rows; i++) {
            long trace = firstTrace + i / SPANS_PER_TRACE;
            int span = i % SPANS_PER_TRACE;
            SplittableRandom random = new SplittableRandom(trace * 31 + span);
            traceIds.setSafe(i, traceId(trace).getBytes(StandardCharsets.UTF_8));
            spanIds.setSafe(i, String.format("%016x", trace * SPANS_PER_TRACE + span).getBytes(StandardCharsets.UTF_8));
            services.setSafe(i, ("service-" + (trace + span) % SERVICES).getBytes(StandardCharsets.UTF_8));
            names.setSafe(i, ("op-" + random.nextInt(SPAN_NAMES)).getBytes(StandardCharsets.UTF_8));
            starts.setSafe(i, startMicros + trace * spacingMicros + span * 1_000L);
            durations.setSafe(i, durationMs(trace, span));
            statuses.setSafe(i, isError(trace, span) ? ERROR_STATUS : 0);
        }
        root.setRowCount(rows);
        return root;
    }

    public static long durationMs(long trace, int span) {
        return new SplittableRandom(trace * 17 + span).nextLong(1, trace % 50 == 0 ? 5_000 : 900);
    }

    public static boolean isError(long trace, int span) {
        return trace % 97 == 13 && span == 3;
    }
}
