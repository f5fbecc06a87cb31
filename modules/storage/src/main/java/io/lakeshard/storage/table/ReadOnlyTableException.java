package io.lakeshard.storage.table;

/**
 * A change to a table whose Delta protocol Lakeshard does not write correctly (deletion vectors, say, or CHECK
 * constraints it would not enforce): the table stays readable, and nothing here writes, rewrites or vacuums it.
 * Retrying cannot help; the message names the reason.
 */
public final class ReadOnlyTableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param reason what in the table's protocol Lakeshard does not write */
    public ReadOnlyTableException(String reason) {
        super("the table is read-only in Lakeshard: " + reason);
    }
}
