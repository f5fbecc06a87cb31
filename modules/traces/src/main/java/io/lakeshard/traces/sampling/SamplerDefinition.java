package io.lakeshard.traces.sampling;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepAttribute;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A tail sampler of one trace dataset: when a trace is finished, and which finished traces it keeps.
 *
 * <p>A trace is ready for its decision once no span of it arrived for {@code inactivity}, or once its first span
 * started more than {@code maxTraceDuration} ago, whichever comes first: a trace that never goes quiet is decided
 * anyway, and its later spans follow that decision. Its policies then apply in order; the first that keeps it decides.
 *
 * @param name lower case, digits and {@code _}, as it appears in dataset names, paths and metrics
 */
public record SamplerDefinition(String name, Duration inactivity, Duration maxTraceDuration, List<SamplingPolicy> policies) {
    public static final Duration DEFAULT_INACTIVITY = Duration.ofMinutes(5);
    public static final Duration DEFAULT_MAX_TRACE_DURATION = Duration.ofHours(1);
    /**
     * Each query for ready traces aggregates up to this much of the dataset's spans (a trace's spans start within
     * it), so it bounds what every decision costs.
     */
    public static final Duration MAX_MAX_TRACE_DURATION = Duration.ofDays(1);
    /** Each attribute policy is a column of the candidate query; no sampler needs more than a few. */
    public static final int MAX_POLICIES = 32;

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,62}");

    public SamplerDefinition {
        requireNonNull(name, "name is null");
        requireNonNull(inactivity, "inactivity is null");
        requireNonNull(maxTraceDuration, "maxTraceDuration is null");
        policies = List.copyOf(requireNonNull(policies, "policies is null"));
        if (!NAME.matcher(name).matches()) {
            throw new InvalidInputException("name",
                    "expected 1 to 63 of a-z, 0-9 and '_', starting with a letter, got '" + name + "'");
        }
        if (inactivity.isNegative() || inactivity.isZero()) {
            throw new InvalidInputException("inactivity", "expected a duration of more than 0, got " + inactivity);
        }
        if (maxTraceDuration.compareTo(inactivity) < 0) {
            // Every trace would be decided by its age before it could go quiet: the inactivity would mean nothing.
            throw new InvalidInputException("max_trace_duration",
                    "expected at least the inactivity (" + inactivity + "), got " + maxTraceDuration);
        }
        if (maxTraceDuration.compareTo(MAX_MAX_TRACE_DURATION) > 0) {
            throw new InvalidInputException("max_trace_duration",
                    "expected at most " + MAX_MAX_TRACE_DURATION + ", got " + maxTraceDuration);
        }
        if (policies.isEmpty()) {
            throw new InvalidInputException("policies", "expected at least one policy, got none (the sampler would keep nothing)");
        }
        if (policies.size() > MAX_POLICIES) {
            throw new InvalidInputException("policies", "expected at most " + MAX_POLICIES + " policies, got " + policies.size());
        }
        // A decision names its policy: two policies of one name could not be told apart, and the second would never decide.
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < policies.size(); i++) {
            Integer earlier = seen.putIfAbsent(policies.get(i).name(), i);
            if (earlier != null) {
                throw new InvalidInputException("policies[" + i + "]",
                        "the same policy as policies[" + earlier + "] (" + policies.get(i).name() + ")");
            }
        }
    }

    /** A sampler with the default inactivity and maximum trace duration. */
    public static SamplerDefinition of(String name, List<SamplingPolicy> policies) {
        return new SamplerDefinition(name, DEFAULT_INACTIVITY, DEFAULT_MAX_TRACE_DURATION, policies);
    }

    public SamplerDefinition withInactivity(Duration value) {
        return new SamplerDefinition(name, value, maxTraceDuration, policies);
    }

    public SamplerDefinition withMaxTraceDuration(Duration value) {
        return new SamplerDefinition(name, inactivity, value, policies);
    }

    /** Whether policy {@code index} is one the candidate query computes a column for. */
    boolean isAttributePolicy(int index) {
        return index >= 0 && index < policies.size() && policies.get(index) instanceof KeepAttribute;
    }
}
