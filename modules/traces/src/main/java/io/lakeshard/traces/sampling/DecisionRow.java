package io.lakeshard.traces.sampling;

import static java.util.Objects.requireNonNull;

import io.lakeshard.traces.query.TraceId;
import java.time.Instant;
import java.util.Optional;

/**
 * One row of a sampler's decisions dataset. A trace has exactly one row with {@code late} false, its decision; a kept
 * trace has one more row, {@code late} true, for each tick that found spans of it arriving after its decision, which
 * follow it. Each row says which of the trace's spans it delivers: those starting in
 * {@code [windowFromUnixNano, windowUntilUnixNano)} (the tick's window; a late row's reaches back to its earliest
 * late span) that arrived (were written to the span table) in {@code [arrivedFromMicros, arrivedUntilMicros)}, so a
 * span is delivered by one row only.
 *
 * @param sequence the sampler's cursor: rows are numbered 1, 2, ... in the order written, with no gaps
 * @param policy the name of the policy that kept the trace; empty when it was dropped
 * @param decidedAt when the owner decided (the wall clock, not the tick's time)
 * @param readyAt when the trace became ready; for a late row, its tick's time
 */
public record DecisionRow(
        long sequence,
        TraceId traceId,
        boolean late,
        boolean keep,
        Optional<String> policy,
        long tick,
        Instant decidedAt,
        Instant readyAt,
        long spanCount,
        long windowFromUnixNano,
        long windowUntilUnixNano,
        long arrivedFromMicros,
        long arrivedUntilMicros) {

    public DecisionRow {
        requireNonNull(traceId, "traceId is null");
        requireNonNull(policy, "policy is null");
        requireNonNull(decidedAt, "decidedAt is null");
        requireNonNull(readyAt, "readyAt is null");
        if (sequence < 1) {
            throw new IllegalArgumentException("sequence: expected 1 or more, got " + sequence);
        }
        if (keep != policy.isPresent()) {
            throw new IllegalArgumentException("a kept trace names its policy and a dropped one none, got keep=" + keep
                    + " and policy " + policy);
        }
        if (late && !keep) {
            throw new IllegalArgumentException("late spans are only delivered for kept traces");
        }
    }

    /** The row of a decision. */
    public static DecisionRow decision(long sequence, Decision decision, Candidate candidate, long tick, Instant decidedAt,
            Instant readyAt, TickWindow window) {
        return new DecisionRow(sequence, decision.traceId(), false, decision.keep(), decision.policy(), tick, decidedAt, readyAt,
                candidate.spanCount(), window.spans().startUnixNano(), window.spans().endUnixNano(), Long.MIN_VALUE,
                window.arrivedUntilMicros());
    }
}
