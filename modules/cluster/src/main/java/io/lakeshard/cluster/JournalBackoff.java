package io.lakeshard.cluster;

import static java.util.Objects.requireNonNull;

import akka.actor.typed.BackoffSupervisorStrategy;
import akka.actor.typed.SupervisorStrategy;
import java.time.Duration;

/**
 * How an event-sourced actor (a tenant's registry, the maintenance scheduler) comes back after the journal failed
 * it: restarted, recovering from the journal, with a back-off doubling from {@code min} to {@code max} while the
 * database is away; meanwhile its callers time out and are told to retry. Stopped, it would stay gone.
 */
public record JournalBackoff(Duration min, Duration max) {
    public JournalBackoff {
        requireNonNull(min, "min is null");
        requireNonNull(max, "max is null");
        if (min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("lakeshard.journal.failure-backoff: expected 0 < min <= max, got min " + min + ", max " + max);
        }
    }

    public BackoffSupervisorStrategy strategy() {
        return SupervisorStrategy.restartWithBackoff(min, max, 0.2);
    }
}
