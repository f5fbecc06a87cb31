package io.lakeshard.storage.table;

/** No table exists at the location. */
public final class TableMissingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TableMissingException(String message, Throwable cause) {
        super(message, cause);
    }
}
