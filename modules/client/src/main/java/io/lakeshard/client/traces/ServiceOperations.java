package io.lakeshard.client.traces;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** A service and its operations (span names) with their span counts. */
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
