package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.traces.SpanSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * A span attribute with a numeric value in [{@code min}, {@code max}]: an int or a double, since senders differ in
 * which they use for the same key.
 */
public record AttributeRange(String key, OptionalDouble min, OptionalDouble max) {
    private static final String FIELD = "attribute_ranges";

    public AttributeRange {
        requireNonNull(key, "key is null");
        requireNonNull(min, "min is null");
        requireNonNull(max, "max is null");
        if (key.isEmpty()) {
            throw new InvalidInputException(FIELD + ".key", "must not be empty");
        }
        if (min.isEmpty() && max.isEmpty()) {
            throw new InvalidInputException(FIELD, "'" + key + "' needs a min, a max or both");
        }
        finite(min, "min");
        finite(max, "max");
        if (min.isPresent() && max.isPresent() && min.getAsDouble() > max.getAsDouble()) {
            throw new InvalidInputException(FIELD, "'" + key + "': min " + min.getAsDouble() + " is above max " + max.getAsDouble());
        }
    }

    /** The SQL condition on a span row. */
    String sql() {
        String value = SpanSchema.ATTRIBUTES + "[" + SqlText.string(key, FIELD + ".key") + "]";
        String number = "coalesce(" + value + "." + SpanSchema.INT_VALUE + "::DOUBLE, " + value + "." + SpanSchema.DOUBLE_VALUE + ")";
        List<String> bounds = new ArrayList<>();
        min.ifPresent(bound -> bounds.add(number + " >= " + SqlText.number(bound)));
        max.ifPresent(bound -> bounds.add(number + " <= " + SqlText.number(bound)));
        return String.join(" AND ", bounds);
    }

    private static void finite(OptionalDouble bound, String name) {
        if (bound.isPresent() && !Double.isFinite(bound.getAsDouble())) {
            throw new InvalidInputException(FIELD + "." + name, "must be a finite number, got " + bound.getAsDouble());
        }
    }
}
