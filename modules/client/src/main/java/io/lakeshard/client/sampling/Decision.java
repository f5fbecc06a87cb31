package io.lakeshard.client.sampling;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * One trace's decision.
 *
 * @param sequence the cursor: a stream resumed after it misses no decision and repeats none
 * @param traceId 32 lowercase hex digits
 * @param policy the name of the policy that kept the trace; empty when it was dropped
 * @param readyAt when the trace was finished, ready for its decision
 * @param spanCount the trace's spans when it was decided
 * @param tick the sampler's tick that decided it
 */
public record Decision(long sequence, String traceId, boolean keep, Optional<String> policy, Instant decidedAt, Instant readyAt,
        long spanCount, long tick) {
    public Decision {
        requireNonNull(traceId, "traceId is null");
        requireNonNull(policy, "policy is null");
        requireNonNull(decidedAt, "decidedAt is null");
        requireNonNull(readyAt, "readyAt is null");
    }

    /** From the trace being ready to its decision. */
    public Duration lag() {
        return Duration.between(readyAt, decidedAt);
    }
}
