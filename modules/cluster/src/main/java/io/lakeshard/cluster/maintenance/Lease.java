package io.lakeshard.cluster.maintenance;

import io.lakeshard.cluster.CborSerializable;
import java.time.Instant;

/**
 * The right to run one task of one table until {@code expiresAt}. Sequences only grow per task, and a task is
 * re-leased only after the previous lease expired, so a writer that refuses expired and lower-numbered leases never
 * runs a task twice at once, singleton fail-overs included.
 */
public record Lease(long sequence, Instant expiresAt) implements CborSerializable {
    public boolean expired(Instant now) {
        return !now.isBefore(expiresAt);
    }
}
