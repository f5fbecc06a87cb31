package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.traces.SpanSchema;

/**
 * A typed attribute value to compare with: it matches a stored value of the same type only, as OTLP keeps the type
 * ({@code 500} the int is not {@code "500"} the string).
 */
public sealed interface AttributeValue {
    /** The field of the stored value struct ({@code string_value}, ...) this type is kept in. */
    String column();

    /** The value as a SQL constant. */
    String sqlLiteral();

    record StringValue(String value) implements AttributeValue {
        public StringValue {
            requireNonNull(value, "value is null");
        }

        @Override
        public String column() {
            return SpanSchema.STRING_VALUE;
        }

        @Override
        public String sqlLiteral() {
            return SqlText.string(value, "value.string_value");
        }
    }

    record IntValue(long value) implements AttributeValue {
        @Override
        public String column() {
            return SpanSchema.INT_VALUE;
        }

        @Override
        public String sqlLiteral() {
            return Long.toString(value);
        }
    }

    record DoubleValue(double value) implements AttributeValue {
        public DoubleValue {
            if (!Double.isFinite(value)) {
                throw new InvalidInputException("value.double_value", "must be a finite number, got " + value);
            }
        }

        @Override
        public String column() {
            return SpanSchema.DOUBLE_VALUE;
        }

        @Override
        public String sqlLiteral() {
            return SqlText.number(value);
        }
    }

    record BoolValue(boolean value) implements AttributeValue {
        @Override
        public String column() {
            return SpanSchema.BOOL_VALUE;
        }

        @Override
        public String sqlLiteral() {
            return value ? "true" : "false";
        }
    }
}
