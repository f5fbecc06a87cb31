package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** The services of a time range, by name, with their operations. */
public record ServiceList(List<ServiceOperations> services, TimeRange range) {
    public ServiceList {
        services = List.copyOf(requireNonNull(services, "services is null"));
        requireNonNull(range, "range is null");
    }
}
