package io.lakeshard.service.ingest;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.table.IdempotencyKey;
import java.util.Optional;

/**
 * Where a write goes and under which key, before its rows are decoded.
 *
 * @param key empty: applied each time it arrives, for protocols whose retries carry no key (OTLP) and whose readers
 *     remove duplicates; every write of the gRPC API has one
 * @param encodedBytes the size of the rows as the door received them, for limits and metrics
 */
public record WriteRequest(DatasetName dataset, Optional<IdempotencyKey> key, long encodedBytes) {
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
        return new WriteRequest(name, Optional.of(new IdempotencyKey(appId, sequence)), encodedBytes);
    }

    public static WriteRequest unkeyed(DatasetName dataset, long encodedBytes) {
        return new WriteRequest(dataset, Optional.empty(), encodedBytes);
    }
}
