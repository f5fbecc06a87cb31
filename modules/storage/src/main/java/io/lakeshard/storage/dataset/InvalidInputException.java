package io.lakeshard.storage.dataset;

import static java.util.Objects.requireNonNull;

/**
 * Input that can never succeed, however often it is retried: a bad name, schema, option or batch.
 * Carries the offending field so an API can tell the caller exactly what to fix.
 */
public final class InvalidInputException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String field;

    public InvalidInputException(String field, String message) {
        super(requireNonNull(field, "field is null") + ": " + requireNonNull(message, "message is null"));
        this.field = field;
    }

    public String field() {
        return field;
    }
}
