package io.lakeshard.client.sampling;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * One rule of a sampler, as {@link io.lakeshard.client.LakeshardClient#createSampler} sends it: a sampler applies its
 * policies in order, the first that keeps a trace decides, and a trace none keeps is dropped. The server checks the
 * values (a percentage of 0 to 100, thresholds of 0 or more) and names the policy's field in its error
 * ({@code policies[2].percentage.percent: expected 0 to 100, got 140}).
 */
public sealed interface SamplingPolicyOption {
    /** What must take longer than a {@link KeepSlow} threshold: the whole trace, or one of its spans. */
    enum SlowScope { TRACE, SPAN }

    /** Whose attributes a {@link KeepAttribute} reads: the span's own or its resource's. */
    enum AttributeScope { SPAN, RESOURCE }

    /** Keeps a trace with a span whose status is an error. */
    record KeepErrors() implements SamplingPolicyOption {}

    /**
     * Keeps a trace longer than the threshold, or with a span longer than it.
     *
     * @param threshold whole milliseconds, as the API carries it
     */
    record KeepSlow(Duration threshold, SlowScope scope) implements SamplingPolicyOption {
        public KeepSlow {
            SamplerOptions.requireMillis(threshold, "threshold");
            requireNonNull(scope, "scope is null");
        }
    }

    /** Keeps a trace of more spans than {@code spanCount}. */
    record KeepLargeTraces(long spanCount) implements SamplingPolicyOption {}

    /** Keeps a trace with a span whose own (or whose resource's) string attribute {@code key} is {@code value}. */
    record KeepAttribute(AttributeScope scope, String key, String value) implements SamplingPolicyOption {
        public KeepAttribute {
            requireNonNull(scope, "scope is null");
            requireNonNull(key, "key is null");
            requireNonNull(value, "value is null");
        }
    }

    /** Keeps {@code percent} (0 to 100) of the traces that reach it, chosen by trace id. */
    record KeepPercentage(double percent) implements SamplingPolicyOption {}

    static SamplingPolicyOption keepErrors() {
        return new KeepErrors();
    }

    /** Traces longer than {@code threshold}, first span's start to last span's end. */
    static SamplingPolicyOption keepSlowTraces(Duration threshold) {
        return new KeepSlow(threshold, SlowScope.TRACE);
    }

    /** Traces with a span longer than {@code threshold}. */
    static SamplingPolicyOption keepSlowSpans(Duration threshold) {
        return new KeepSlow(threshold, SlowScope.SPAN);
    }

    static SamplingPolicyOption keepLargeTraces(long spanCount) {
        return new KeepLargeTraces(spanCount);
    }

    static SamplingPolicyOption keepSpanAttribute(String key, String value) {
        return new KeepAttribute(AttributeScope.SPAN, key, value);
    }

    static SamplingPolicyOption keepResourceAttribute(String key, String value) {
        return new KeepAttribute(AttributeScope.RESOURCE, key, value);
    }

    static SamplingPolicyOption keepPercentage(double percent) {
        return new KeepPercentage(percent);
    }
}
