package io.lakeshard.service.datasets;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import java.time.Instant;
import java.util.Optional;

/**
 * A dataset as a tenant sees it.
 *
 * @param created true when the request that returned it registered it; false when it existed already, identical
 * @param location where an adopted table is; empty for a table Lakeshard created
 * @param readOnlyReason why Lakeshard does not write the (adopted) table; empty when it does
 */
public record DatasetInfo(DatasetName name, DatasetDefinition definition, MaintenancePolicy policy, Instant registeredAt,
        boolean created, Optional<String> location, Optional<String> readOnlyReason) {
    public DatasetInfo {
        requireNonNull(name, "name is null");
        requireNonNull(definition, "definition is null");
        requireNonNull(policy, "policy is null");
        requireNonNull(registeredAt, "registeredAt is null");
        requireNonNull(location, "location is null");
        requireNonNull(readOnlyReason, "readOnlyReason is null");
    }
}
