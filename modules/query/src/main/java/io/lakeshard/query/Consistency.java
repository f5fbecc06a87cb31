package io.lakeshard.query;

/** Which snapshot a query reads when it does not time-travel. */
public enum Consistency {
    /** The node's cached snapshot, as fresh as its last refresh: no log access on the query path. */
    LATEST_LOCAL,
    /** The latest committed version: the log is checked for new commits before the query is planned. */
    LATEST_COMMITTED,
    /**
     * At least the version the table's writer has acknowledged: in a cluster the node asks the writer first, then
     * brings its snapshot up to that version.
     */
    READ_YOUR_WRITES
}
