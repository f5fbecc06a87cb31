package io.lakeshard.service.admin;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.DatasetName;
import java.time.Instant;

/** A maintenance task of one of the tenant's datasets, as the scheduler holds it. */
public record TaskInfo(DatasetName dataset, String type, Instant nextRunAt, long leaseSequence, int failures, String lastOutcome) {
    public TaskInfo {
        requireNonNull(dataset, "dataset is null");
        requireNonNull(type, "type is null");
        requireNonNull(nextRunAt, "nextRunAt is null");
        requireNonNull(lastOutcome, "lastOutcome is null");
    }
}
