package io.lakeshard.query;

/** A query ran past its timeout or was cancelled; it was stopped and its resources freed. */
public final class QueryTimeoutException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public QueryTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
