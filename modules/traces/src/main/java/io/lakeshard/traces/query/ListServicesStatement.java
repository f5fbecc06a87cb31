package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.traces.SpanSchema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/** The services and operations of a time range. */
public final class ListServicesStatement implements TraceStatement<ServiceList> {
    /** Services times operations: far more than any real system has, so more means an unbounded span name. */
    private static final long MAX_OPERATIONS = 100_000;

    private final DatasetName dataset;
    private final TimeRange range;
    private final Map<String, List<ServiceOperations.Operation>> operations = new LinkedHashMap<>();

    public ListServicesStatement(DatasetName dataset, TimeRange range) {
        this.dataset = requireNonNull(dataset, "dataset is null");
        this.range = requireNonNull(range, "range is null");
    }

    @Override
    public String sql() {
        return TraceSql.services(dataset, range);
    }

    @Override
    public long rowLimit() {
        return MAX_OPERATIONS;
    }

    @Override
    public void add(VectorSchemaRoot batch) {
        FieldVector services = batch.getVector(SpanSchema.SERVICE_NAME);
        FieldVector names = batch.getVector(TraceSql.SPAN_NAME);
        FieldVector counts = batch.getVector(TraceSql.SPAN_COUNT);
        for (int row = 0; row < batch.getRowCount(); row++) {
            operations.computeIfAbsent(String.valueOf(services.getObject(row)), service -> new ArrayList<>())
                    .add(new ServiceOperations.Operation(String.valueOf(names.getObject(row)), ((Number) counts.getObject(row)).longValue()));
        }
    }

    @Override
    public ServiceList result(boolean truncated) {
        if (truncated) {
            throw new InvalidInputException("time_range", "more than " + MAX_OPERATIONS
                    + " service and span name pairs in the range; narrow it");
        }
        List<ServiceOperations> services = new ArrayList<>();
        operations.forEach((service, list) -> services.add(
                new ServiceOperations(service, list.stream().mapToLong(ServiceOperations.Operation::spanCount).sum(), list)));
        return new ServiceList(services, range);
    }
}
