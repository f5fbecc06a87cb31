package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A service and the operations (span names) it recorded in a time range.
 *
 * @param spanCount distinct spans, all operations together
 * @param operations by span name
 */
public record ServiceOperations(String serviceName, long spanCount, List<Operation> operations) {
    public record Operation(String spanName, long spanCount) {
        public Operation {
            requireNonNull(spanName, "spanName is null");
        }
    }

    public ServiceOperations {
        requireNonNull(serviceName, "serviceName is null");
        operations = List.copyOf(requireNonNull(operations, "operations is null"));
    }
}
