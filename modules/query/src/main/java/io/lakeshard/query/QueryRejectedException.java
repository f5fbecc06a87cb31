package io.lakeshard.query;

/**
 * A statement the sandbox does not allow, or that DuckDB refuses as written (an unknown column or function, a type
 * mismatch, a value that does not convert): the user's mistake. Says what is wrong; retrying cannot help.
 */
public final class QueryRejectedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public QueryRejectedException(String message) {
        super(message);
    }

    public QueryRejectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
