package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.traces.SpanSchema;

/** An attribute of the span, or of its resource, equal to a typed value. */
public record AttributeFilter(Scope scope, String key, AttributeValue value) {
    /** Whose attributes: the span's own or its resource's. */
    public enum Scope {
        SPAN(SpanSchema.ATTRIBUTES, "span_attributes"),
        RESOURCE(SpanSchema.RESOURCE_ATTRIBUTES, "resource_attributes");

        private final String column;
        private final String field;

        Scope(String column, String field) {
            this.column = column;
            this.field = field;
        }

        /** The map column of the span table. */
        public String column() {
            return column;
        }

        /** The request field that carries filters of this scope. */
        public String field() {
            return field;
        }
    }

    public AttributeFilter {
        requireNonNull(scope, "scope is null");
        requireNonNull(key, "key is null");
        requireNonNull(value, "value is null");
        if (key.isEmpty()) {
            throw new InvalidInputException(scope.field() + ".key", "must not be empty");
        }
    }

    /** The SQL condition on a span row. */
    String sql() {
        return scope.column() + "[" + SqlText.string(key, scope.field() + ".key") + "]." + value.column() + " = " + value.sqlLiteral();
    }
}
