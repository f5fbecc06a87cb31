package io.lakeshard.service.traces;

import static java.util.Objects.requireNonNull;

import io.lakeshard.query.Consistency;
import java.time.Duration;
import java.util.Optional;

/**
 * How a trace query reads, as for any query.
 *
 * @param deadline how long the caller will wait: caps the query's timeout
 */
public record ReadOptions(Consistency consistency, Optional<Duration> deadline) {
    public ReadOptions {
        requireNonNull(consistency, "consistency is null");
        requireNonNull(deadline, "deadline is null");
    }

    /** The same, with {@code spent} of the deadline gone. */
    public ReadOptions less(Duration spent) {
        return new ReadOptions(consistency, deadline.map(left -> left.minus(spent)));
    }

    /** The node's snapshot, no deadline. */
    public static ReadOptions defaults() {
        return new ReadOptions(Consistency.LATEST_LOCAL, Optional.empty());
    }
}
