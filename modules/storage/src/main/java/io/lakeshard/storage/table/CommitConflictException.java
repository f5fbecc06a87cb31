package io.lakeshard.storage.table;

/**
 * The log moved under a commit in a way that cannot be merged: another writer removed a file this commit removes, or
 * changed the schema. Nothing was committed; reload and retry.
 */
public final class CommitConflictException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CommitConflictException(String message, Throwable cause) {
        super(message, cause);
    }
}
