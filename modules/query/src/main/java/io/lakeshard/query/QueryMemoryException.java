package io.lakeshard.query;

/**
 * A query needed more memory than the engine's limit allows (spilling included). The statement is valid; a smaller
 * one, or the same one when fewer queries run, may succeed.
 */
public final class QueryMemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public QueryMemoryException(String message, Throwable cause) {
        super(message, cause);
    }
}
