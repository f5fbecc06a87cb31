package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.traces.SpanSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a span must be for its trace to match a search. All conditions hold on the same span; a trace matches when
 * any one of its spans does. No condition: every trace matches.
 *
 * @param minDurationNanos empty: no lower bound
 * @param maxDurationNanos empty: no upper bound
 */
public record TraceFilter(
        Optional<String> serviceName,
        Optional<String> spanName,
        boolean errorsOnly,
        OptionalLong minDurationNanos,
        OptionalLong maxDurationNanos,
        List<AttributeFilter> attributes,
        List<AttributeRange> attributeRanges) {

    /** OTLP's {@code STATUS_CODE_ERROR}. */
    public static final int STATUS_ERROR = 2;

    public TraceFilter {
        requireNonNull(serviceName, "serviceName is null");
        requireNonNull(spanName, "spanName is null");
        requireNonNull(minDurationNanos, "minDurationNanos is null");
        requireNonNull(maxDurationNanos, "maxDurationNanos is null");
        attributes = List.copyOf(requireNonNull(attributes, "attributes is null"));
        attributeRanges = List.copyOf(requireNonNull(attributeRanges, "attributeRanges is null"));
        if (minDurationNanos.isPresent() && minDurationNanos.getAsLong() < 0) {
            throw new InvalidInputException("min_duration_ns", "must not be negative");
        }
        if (maxDurationNanos.isPresent() && maxDurationNanos.getAsLong() < 0) {
            throw new InvalidInputException("max_duration_ns", "must not be negative");
        }
        if (minDurationNanos.isPresent() && maxDurationNanos.isPresent() && minDurationNanos.getAsLong() > maxDurationNanos.getAsLong()) {
            throw new InvalidInputException("max_duration_ns", "is below min_duration_ns");
        }
    }

    /** Every trace. */
    public static TraceFilter none() {
        return new TraceFilter(Optional.empty(), Optional.empty(), false, OptionalLong.empty(), OptionalLong.empty(), List.of(), List.of());
    }

    /** The conditions on a span row, ANDed; empty when there are none. */
    List<String> sql() {
        List<String> conditions = new ArrayList<>();
        serviceName.ifPresent(service -> conditions.add(SpanSchema.SERVICE_NAME + " = " + SqlText.string(service, "service_name")));
        spanName.ifPresent(name -> conditions.add(SpanSchema.NAME + " = " + SqlText.string(name, "span_name")));
        if (errorsOnly) {
            conditions.add(SpanSchema.STATUS_CODE + " = " + STATUS_ERROR);
        }
        minDurationNanos.ifPresent(min -> conditions.add(SpanSchema.DURATION_NS + " >= " + min));
        maxDurationNanos.ifPresent(max -> conditions.add(SpanSchema.DURATION_NS + " <= " + max));
        attributes.forEach(attribute -> conditions.add(attribute.sql()));
        attributeRanges.forEach(range -> conditions.add(range.sql()));
        return conditions;
    }
}
