package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.traces.SpanSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/** RED metrics of a time range. */
public final class RedMetricsStatement implements TraceStatement<RedMetrics> {
    private static final long MAX_POINTS = 1_000_000;

    private final RedQuery query;
    private final TimeRange range;
    private final List<RedPoint> points = new ArrayList<>();

    private RedMetricsStatement(RedQuery query, TimeRange range) {
        this.query = query;
        this.range = range;
    }

    /**
     * @param defaultRange the range of a query that names none
     * @throws InvalidInputException when the range holds too many buckets
     */
    public static RedMetricsStatement of(RedQuery query, TimeRange defaultRange) {
        requireNonNull(query, "query is null");
        TimeRange range = query.range().orElse(requireNonNull(defaultRange, "defaultRange is null"));
        query.checkBuckets(range);
        return new RedMetricsStatement(query, range);
    }

    @Override
    public String sql() {
        return TraceSql.red(query, range);
    }

    @Override
    public long rowLimit() {
        return MAX_POINTS;
    }

    @Override
    public void add(VectorSchemaRoot batch) {
        FieldVector services = batch.getVector(SpanSchema.SERVICE_NAME);
        FieldVector names = query.bySpanName() ? batch.getVector(TraceSql.SPAN_NAME) : null;
        FieldVector buckets = batch.getVector(TraceSql.BUCKET_START);
        FieldVector requests = batch.getVector(TraceSql.REQUESTS);
        FieldVector errors = batch.getVector(TraceSql.ERRORS);
        FieldVector p50 = batch.getVector(TraceSql.P50);
        FieldVector p95 = batch.getVector(TraceSql.P95);
        FieldVector p99 = batch.getVector(TraceSql.P99);
        long bucketNanos = query.bucket().toNanos();
        for (int row = 0; row < batch.getRowCount(); row++) {
            long start = ((Number) buckets.getObject(row)).longValue();
            long count = ((Number) requests.getObject(row)).longValue();
            long failed = ((Number) errors.getObject(row)).longValue();
            // The first and last buckets may lie partly outside the range: a rate over the whole bucket would be low.
            long covered = Math.min(start + bucketNanos, range.endUnixNano()) - Math.max(start, range.startUnixNano());
            points.add(new RedPoint(String.valueOf(services.getObject(row)),
                    names == null ? Optional.empty() : Optional.of(String.valueOf(names.getObject(row))),
                    start, count, count / (covered / 1e9), failed, (double) failed / count,
                    ((Number) p50.getObject(row)).doubleValue(), ((Number) p95.getObject(row)).doubleValue(),
                    ((Number) p99.getObject(row)).doubleValue()));
        }
    }

    @Override
    public RedMetrics result(boolean truncated) {
        if (truncated) {
            throw new InvalidInputException("time_range", "more than " + MAX_POINTS + " points; widen the buckets or narrow the range");
        }
        return new RedMetrics(points, query.bucket(), range);
    }
}
