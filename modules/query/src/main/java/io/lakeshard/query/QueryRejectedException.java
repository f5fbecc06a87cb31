package io.lakeshard.query;

/** A statement the sandbox does not allow, or cannot parse. Says what is not allowed; retrying cannot help. */
public final class QueryRejectedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public QueryRejectedException(String message) {
        super(message);
    }
}
