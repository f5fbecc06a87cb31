package io.lakeshard.storage.table;

/** A table with a different definition already exists where one was to be created. */
public final class TableExistsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TableExistsException(String message) {
        super(message);
    }
}
