package io.lakeshard.service.datasets;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.MaintenancePolicy;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import java.time.Instant;

/**
 * A dataset as a tenant sees it.
 *
 * @param created true when the request that returned it registered it; false when it existed already, identical
 */
public record DatasetInfo(DatasetName name, DatasetDefinition definition, MaintenancePolicy policy, Instant registeredAt,
        boolean created) {
    public DatasetInfo {
        requireNonNull(name, "name is null");
        requireNonNull(definition, "definition is null");
        requireNonNull(policy, "policy is null");
        requireNonNull(registeredAt, "registeredAt is null");
    }
}
