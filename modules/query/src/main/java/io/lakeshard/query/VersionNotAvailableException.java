package io.lakeshard.query;

/**
 * A well-formed request for a table version the table does not have (before its first commit, after its last, or
 * cleaned from the log): the request cannot succeed against the table as it is.
 */
public final class VersionNotAvailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public VersionNotAvailableException(String message) {
        super(message);
    }
}
