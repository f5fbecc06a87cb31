package io.lakeshard.traces.sampling;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.traces.SpanSchema;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * One rule of a sampler: whether it keeps a finished trace. A sampler applies its policies in order and the first
 * that keeps a trace decides; a trace no policy keeps is dropped.
 *
 * <p>Each policy validates itself. The constructors name the offending component ({@code percent: ...}); the
 * {@code of(..., field)} factories name it under the request field the policy came from
 * ({@code policies[2].percent: ...}), as a request with a list of policies is answered.
 */
// A sampler's definition is journaled with its owner's events (Jackson CBOR), which must know each kind by name.
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
    @JsonSubTypes.Type(value = SamplingPolicy.KeepErrors.class, name = "errors"),
    @JsonSubTypes.Type(value = SamplingPolicy.KeepSlow.class, name = "slow"),
    @JsonSubTypes.Type(value = SamplingPolicy.KeepLargeTraces.class, name = "large"),
    @JsonSubTypes.Type(value = SamplingPolicy.KeepAttribute.class, name = "attribute"),
    @JsonSubTypes.Type(value = SamplingPolicy.KeepPercentage.class, name = "percentage")
})
public sealed interface SamplingPolicy {
    /**
     * The policy as recorded with its decisions and in metrics: its kind and parameters, so that it is the same for
     * the same policy in any sampler and whatever its position. A sampler refuses two policies of one name (say an
     * attribute key with {@code =} in it that reads like another key and value), since its decisions could not tell
     * them apart.
     */
    String name();

    /** Keeps a trace with a span whose status is OTLP's {@code STATUS_CODE_ERROR}. */
    record KeepErrors() implements SamplingPolicy {
        @Override
        public String name() {
            return "errors";
        }
    }

    /**
     * Keeps a trace longer than the threshold ({@link SlowScope#TRACE}: from its first span's start to its last span's
     * end), or with a span longer than it ({@link SlowScope#SPAN}).
     */
    record KeepSlow(Duration threshold, SlowScope scope) implements SamplingPolicy {
        public KeepSlow {
            check(threshold, scope, "");
        }

        /**
         * The policy of a request field, named in errors.
         *
         * @param field where the policy is in the request: {@code policies[1]}
         */
        public static KeepSlow of(Duration threshold, SlowScope scope, String field) {
            check(threshold, scope, prefix(field));
            return new KeepSlow(threshold, scope);
        }

        private static void check(Duration threshold, SlowScope scope, String prefix) {
            requireNonNull(threshold, "threshold is null");
            requireNonNull(scope, "scope is null");
            if (threshold.isNegative()) {
                throw new InvalidInputException(prefix + "threshold", "expected a duration of 0 or more, got " + threshold);
            }
            // Durations are compared as nanoseconds, like the span table's.
            if (threshold.compareTo(Duration.ofNanos(Long.MAX_VALUE)) > 0) {
                throw new InvalidInputException(prefix + "threshold", "expected at most " + Duration.ofNanos(Long.MAX_VALUE)
                        + ", got " + threshold);
            }
        }

        @Override
        public String name() {
            return (scope == SlowScope.TRACE ? "slow_trace>" : "slow_span>") + format(threshold);
        }
    }

    /** Keeps a trace of more spans than the threshold; a span exported twice counts once. */
    record KeepLargeTraces(long threshold) implements SamplingPolicy {
        public KeepLargeTraces {
            check(threshold, "");
        }

        /**
         * The policy of a request field, named in errors.
         *
         * @param field where the policy is in the request: {@code policies[1]}
         */
        public static KeepLargeTraces of(long threshold, String field) {
            check(threshold, prefix(field));
            return new KeepLargeTraces(threshold);
        }

        private static void check(long threshold, String prefix) {
            if (threshold < 0) {
                throw new InvalidInputException(prefix + "threshold", "expected a span count of 0 or more, got " + threshold);
            }
        }

        @Override
        public String name() {
            return "large_trace>" + threshold;
        }
    }

    /**
     * Keeps a trace with a span whose own attribute ({@link AttributeScope#SPAN}), or whose resource's attribute
     * ({@link AttributeScope#RESOURCE}), is the string {@code value}. String equality only: an attribute stored with another
     * OTLP type never matches, not even one that prints the same ({@code 500} the int is not {@code "500"}), as the
     * trace search compares typed values. Enough for the attributes sampling is asked about (routes, environments,
     * tenants, user ids), which OpenTelemetry's conventions make strings.
     */
    record KeepAttribute(AttributeScope scope, String key, String value) implements SamplingPolicy {
        public KeepAttribute {
            check(scope, key, value, "");
        }

        /**
         * The policy of a request field, named in errors.
         *
         * @param field where the policy is in the request: {@code policies[1]}
         */
        public static KeepAttribute of(AttributeScope scope, String key, String value, String field) {
            check(scope, key, value, prefix(field));
            return new KeepAttribute(scope, key, value);
        }

        private static void check(AttributeScope scope, String key, String value, String prefix) {
            requireNonNull(scope, "scope is null");
            requireNonNull(key, "key is null");
            requireNonNull(value, "value is null");
            if (key.isEmpty()) {
                throw new InvalidInputException(prefix + "key", "expected an attribute key, got an empty one");
            }
            // Both become SQL string constants, which must not hold NUL.
            if (key.indexOf('\0') >= 0) {
                throw new InvalidInputException(prefix + "key", "must not contain the character U+0000");
            }
            if (value.indexOf('\0') >= 0) {
                throw new InvalidInputException(prefix + "value", "must not contain the character U+0000");
            }
        }

        @Override
        public String name() {
            return (scope == AttributeScope.SPAN ? "span_attribute:" : "resource_attribute:") + key + "=" + value;
        }
    }

    /**
     * Keeps {@code percent} of the traces that reach it, chosen by the trace id alone, so that every node and replica
     * keeps the same ones; see {@link Decider#inPercentage}.
     */
    record KeepPercentage(double percent) implements SamplingPolicy {
        public KeepPercentage {
            check(percent, "");
        }

        /**
         * The policy of a request field, named in errors.
         *
         * @param field where the policy is in the request: {@code policies[1]}
         */
        public static KeepPercentage of(double percent, String field) {
            check(percent, prefix(field));
            return new KeepPercentage(percent);
        }

        private static void check(double percent, String prefix) {
            if (!(percent >= 0 && percent <= 100)) {
                throw new InvalidInputException(prefix + "percent", "expected 0 to 100, got " + format(percent));
            }
        }

        @Override
        public String name() {
            return "percentage:" + format(percent);
        }
    }

    /** What must take longer than a {@link KeepSlow} threshold: the whole trace, or one of its spans. */
    enum SlowScope {
        TRACE,
        SPAN
    }

    /** Whose attributes a {@link KeepAttribute} reads: the span's own or its resource's. */
    enum AttributeScope {
        SPAN(SpanSchema.ATTRIBUTES),
        RESOURCE(SpanSchema.RESOURCE_ATTRIBUTES);

        private final String column;

        AttributeScope(String column) {
            this.column = column;
        }

        /** The map column of the span table. */
        public String column() {
            return column;
        }
    }

    private static String prefix(String field) {
        requireNonNull(field, "field is null");
        return field.isEmpty() ? "" : field + ".";
    }

    /** {@code 10}, {@code 0.5}: no exponent, no trailing zeros, so a name reads as it was written. */
    private static String format(double value) {
        if (!Double.isFinite(value)) {
            return Double.toString(value);
        }
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    /** In the largest unit that holds it exactly: {@code 2s}, {@code 250ms}, {@code 90s}, {@code 1h}. */
    private static String format(Duration duration) {
        long nanos = duration.toNanos();
        List<ChronoUnit> units = List.of(ChronoUnit.HOURS, ChronoUnit.MINUTES, ChronoUnit.SECONDS, ChronoUnit.MILLIS, ChronoUnit.MICROS);
        List<String> symbols = List.of("h", "m", "s", "ms", "us");
        for (int i = 0; i < units.size(); i++) {
            long unit = units.get(i).getDuration().toNanos();
            if (nanos != 0 && nanos % unit == 0) {
                return nanos / unit + symbols.get(i);
            }
        }
        return nanos + "ns";
    }
}
