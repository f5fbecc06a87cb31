package io.lakeshard.traces.sampling;

import static java.util.Objects.requireNonNull;

import io.lakeshard.traces.query.TimeRange;
import java.time.Duration;
import java.time.Instant;

/**
 * What one tick of a sampler reads, from the tick's time and the sampler's progress.
 *
 * @param now the time readiness is judged at
 * @param spans the start times of the spans read: from {@code maxTraceDuration + inactivity} before the last completed
 *     tick (every trace whose first span started before that was decided by it, see {@link CandidateQuery}) to
 *     {@code clockSkew} after {@code now}; late spans are read from {@code decidedSince}
 * @param lateFrom spans of decided traces written since this (the last completed tick's time) and before {@code now}
 *     are late
 * @param decidedSince the decisions the candidate query leaves out, and late spans are matched against: those
 *     written since this
 */
public record TickWindow(Instant now, TimeRange spans, Instant lateFrom, Instant decidedSince) {
    public TickWindow {
        requireNonNull(now, "now is null");
        requireNonNull(spans, "spans is null");
        requireNonNull(lateFrom, "lateFrom is null");
        requireNonNull(decidedSince, "decidedSince is null");
    }

    /**
     * The window of a tick at {@code now}.
     *
     * @param decidedThrough the time of the last tick that decided every trace ready at it (the sampler's creation
     *     before any)
     * @param lateFrom the time of the last completed tick: spans of decided traces written since are late
     *
     * <p>A decided trace must not be a candidate again while spans of it may start inside later windows, so a
     * decision is remembered that long: decisions written since {@code maxTraceDuration + inactivity} before the
     * window's start are. A late span is matched to a remembered decision by its arrival, if it started since then. A
     * span that starts more than that after its trace was decided (a trace going on for over twice its maximum
     * duration) is not matched to the decision: its trace is decided anew over the spans that arrived since, as the
     * documentation says.
     */
    public static TickWindow of(SamplerDefinition sampler, Instant now, Instant decidedThrough, Instant lateFrom, Duration clockSkew) {
        requireNonNull(sampler, "sampler is null");
        Duration reach = sampler.maxTraceDuration().plus(sampler.inactivity());
        Instant from = decidedThrough.minus(reach);
        TimeRange spans = new TimeRange(TimeRange.nanos(from), TimeRange.nanos(now.plus(clockSkew)));
        return new TickWindow(now, spans, lateFrom, from.minus(reach));
    }

    /** Spans written before the tick's time are its to deliver. */
    public long arrivedUntilMicros() {
        return micros(now);
    }

    /** Microseconds since the epoch, as {@code _ls_ingest_time} and the decisions dataset's timestamps are kept. */
    public static long micros(Instant instant) {
        return Math.floorDiv(TimeRange.nanos(instant), 1_000L);
    }
}
