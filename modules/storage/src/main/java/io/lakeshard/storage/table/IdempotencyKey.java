package io.lakeshard.storage.table;

import io.lakeshard.storage.dataset.InvalidInputException;

/**
 * Identifies a write across retries: a writer ({@code appId}) numbers its writes with increasing {@code sequence}
 * numbers. Recorded in the commit as a Delta transaction id, so any Delta writer sees it too. A write whose sequence is
 * not above the last committed one for its writer is a retry and is not applied again.
 */
public record IdempotencyKey(String appId, long sequence) {
    public IdempotencyKey {
        if (appId == null || appId.isBlank() || appId.length() > 200) {
            throw new InvalidInputException("idempotency_key.app_id", "expected 1 to 200 characters");
        }
        if (sequence < 0) {
            throw new InvalidInputException("idempotency_key.sequence", "expected a non-negative number, got " + sequence);
        }
    }
}
