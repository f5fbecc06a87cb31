package io.lakeshard.service.ingest;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.table.IdempotencyKey;

/**
 * Where a write goes and under which key, before its rows are decoded.
 *
 * @param encodedBytes the size of the rows as the door received them, for limits and metrics
 */
public record WriteRequest(DatasetName dataset, IdempotencyKey key, long encodedBytes) {
    public WriteRequest {
        requireNonNull(dataset, "dataset is null");
        requireNonNull(key, "key is null");
    }

    /** From a door's fields: the dataset's name and the key's app id and sequence, checked. */
    public static WriteRequest of(String dataset, String appId, long sequence, long encodedBytes) {
        DatasetName name = DatasetName.parse(dataset);
        if (appId == null || appId.isEmpty()) {
            throw new InvalidInputException("key.app_id", "every write needs an idempotency key (app id and sequence)");
        }
        return new WriteRequest(name, new IdempotencyKey(appId, sequence), encodedBytes);
    }
}
