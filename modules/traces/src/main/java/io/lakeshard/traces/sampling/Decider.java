package io.lakeshard.traces.sampling;

import static java.util.Objects.requireNonNull;

import io.lakeshard.traces.query.TraceId;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepAttribute;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepErrors;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepLargeTraces;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepPercentage;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepSlow;
import io.lakeshard.traces.sampling.SamplingPolicy.SlowScope;
import java.util.List;

/**
 * A sampler's policies applied to candidates: the first policy that keeps a trace decides, and a trace none keeps is
 * dropped. A decision depends on the candidate alone, not on which node computes it or when, so a decision computed
 * again (after a fail-over, say) is the same decision.
 */
public final class Decider {
    /** The bits of a trace id the percentage reads: its last 7 bytes. */
    static final int RANDOM_BITS = 56;
    private static final long RANDOM_MASK = (1L << RANDOM_BITS) - 1;
    private static final double RANDOM_VALUES = 0x1p56;

    private final SamplerDefinition sampler;

    public Decider(SamplerDefinition sampler) {
        this.sampler = requireNonNull(sampler, "sampler is null");
    }

    /**
     * The decision on one candidate of this sampler's query.
     *
     * @throws IllegalArgumentException if the candidate says it matched an attribute policy the sampler does not have
     *     at that position: it came from another sampler's query
     */
    public Decision decide(Candidate candidate) {
        requireNonNull(candidate, "candidate is null");
        for (int index : candidate.matchedAttributes()) {
            if (!sampler.isAttributePolicy(index)) {
                throw new IllegalArgumentException("candidate " + candidate.traceId() + " matched policies[" + index
                        + "], which is not an attribute policy of sampler " + sampler.name());
            }
        }
        List<SamplingPolicy> policies = sampler.policies();
        for (int i = 0; i < policies.size(); i++) {
            if (keeps(policies.get(i), i, candidate)) {
                return Decision.kept(candidate.traceId(), policies.get(i));
            }
        }
        return Decision.dropped(candidate.traceId());
    }

    private static boolean keeps(SamplingPolicy policy, int index, Candidate candidate) {
        if (policy instanceof KeepErrors) {
            return candidate.hasError();
        }
        if (policy instanceof KeepSlow slow) {
            return (slow.scope() == SlowScope.TRACE ? candidate.traceDuration() : candidate.maxSpanDuration())
                    .compareTo(slow.threshold()) > 0;
        }
        if (policy instanceof KeepLargeTraces large) {
            return candidate.spanCount() > large.threshold();
        }
        if (policy instanceof KeepAttribute) {
            return candidate.matchedAttributes().contains(index);
        }
        if (policy instanceof KeepPercentage percentage) {
            return inPercentage(candidate.traceId(), percentage.percent());
        }
        // Java 17 has no exhaustive switch over a sealed interface: a new kind of policy must be added here.
        throw new IllegalStateException("unknown policy " + policy);
    }

    /**
     * Whether a trace is among the {@code percent} kept, by its id alone. The id's least significant 56 bits (its last
     * 7 bytes), as an unsigned number R, are kept when R ≥ T = 2^56 − round(percent / 100 × 2^56).
     *
     * <p>Those 56 bits are the ones W3C Trace Context (level 2, the {@code random} flag) requires to be random; the
     * rest of an id need not be (AWS X-Ray ids begin with the time in seconds), and an id's high bits would make a
     * biased share. The comparison is OpenTelemetry's consistent probability sampling (T is the {@code th} threshold
     * of the {@code ot} tracestate entry: 25% is {@code th:c}), so the traces kept at a lower percentage are among
     * those kept at a higher one, and a trace an SDK's consistent head sampler kept at p% passes here at any
     * percentage of p or more. A tracestate's explicit randomness ({@code rv}) is not read: the span table keeps the
     * tracestate, but the candidate query does not. Integers and one IEEE product, which Java computes alike on
     * every JVM: every node and replica keeps the same traces.
     */
    public static boolean inPercentage(TraceId traceId, double percent) {
        requireNonNull(traceId, "traceId is null");
        return randomness(traceId) >= threshold(percent);
    }

    /** R: the last 14 hex digits of the id. */
    static long randomness(TraceId traceId) {
        return Long.parseLong(traceId.hex().substring(32 - RANDOM_BITS / 4), 16) & RANDOM_MASK;
    }

    /**
     * T, from 0 (100%: every R passes) to 2^56 (0%: none does). As OpenTelemetry computes it: 2^56 less the kept
     * share of 2^56, rounded, which is exact for small shares (1% is {@code th:fd70a3d70a3d71}).
     */
    static long threshold(double percent) {
        if (!(percent >= 0 && percent <= 100)) {
            throw new IllegalArgumentException("percent: expected 0 to 100, got " + percent);
        }
        return (1L << RANDOM_BITS) - Math.round(percent / 100 * RANDOM_VALUES);
    }
}
