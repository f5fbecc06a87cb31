package io.lakeshard.traces.sampling;

import static java.util.Objects.requireNonNull;

import io.lakeshard.traces.query.TraceId;
import java.util.Optional;

/**
 * A sampler's decision on one trace.
 *
 * @param policy the {@linkplain SamplingPolicy#name() name} of the policy that kept the trace; empty when none did
 *     and the trace is dropped
 */
public record Decision(TraceId traceId, boolean keep, Optional<String> policy) {
    public Decision {
        requireNonNull(traceId, "traceId is null");
        requireNonNull(policy, "policy is null");
        if (keep != policy.isPresent()) {
            throw new IllegalArgumentException("a kept trace names the policy that kept it and a dropped one none, got keep="
                    + keep + " and policy " + policy);
        }
    }

    public static Decision kept(TraceId traceId, SamplingPolicy policy) {
        return new Decision(traceId, true, Optional.of(policy.name()));
    }

    public static Decision dropped(TraceId traceId) {
        return new Decision(traceId, false, Optional.empty());
    }
}
