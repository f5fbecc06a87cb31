package io.lakeshard.traces.sampling;

import static java.util.Objects.requireNonNull;

import io.lakeshard.traces.query.TraceId;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * A trace ready for its decision, as the candidate query summarised its spans in the window: what the policies ask
 * of it, and when it became ready.
 *
 * @param spanCount distinct span ids (a span exported twice counts once)
 * @param hasError whether a span has OTLP's error status
 * @param traceDuration from the first span's start to the last span's end
 * @param lastArrival when the trace's latest span was written to the span table
 * @param matchedAttributes the positions, in the sampler's policy list, of the attribute policies a span of the
 *     trace matched
 */
public record Candidate(
        TraceId traceId,
        long spanCount,
        boolean hasError,
        Duration maxSpanDuration,
        Duration traceDuration,
        Instant firstStart,
        Instant lastArrival,
        Set<Integer> matchedAttributes) {

    public Candidate {
        requireNonNull(traceId, "traceId is null");
        requireNonNull(maxSpanDuration, "maxSpanDuration is null");
        requireNonNull(traceDuration, "traceDuration is null");
        requireNonNull(firstStart, "firstStart is null");
        requireNonNull(lastArrival, "lastArrival is null");
        matchedAttributes = Set.copyOf(requireNonNull(matchedAttributes, "matchedAttributes is null"));
        if (spanCount < 1) {
            throw new IllegalArgumentException("a candidate has at least one span, got " + spanCount);
        }
    }

    /**
     * When the trace became ready under {@code sampler}: the earlier of its inactivity after the last arrival and
     * its maximum duration after the first start. The owner's decision lag is measured from here.
     */
    public Instant readyAt(SamplerDefinition sampler) {
        Instant quiet = lastArrival.plus(sampler.inactivity());
        Instant old = firstStart.plus(sampler.maxTraceDuration());
        return quiet.isBefore(old) ? quiet : old;
    }
}
