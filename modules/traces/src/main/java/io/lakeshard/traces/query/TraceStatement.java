package io.lakeshard.traces.query;

import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A trace query as the query path runs it: a statement, a row limit, and what its result batches become. Whoever
 * runs it hands in every batch in order, then asks for the result once; close it in any case (a statement that keeps
 * rows frees them).
 *
 * @param <T> the answer
 */
public interface TraceStatement<T> extends AutoCloseable {
    String sql();

    /** The most rows the statement may return. */
    long rowLimit();

    /** Takes one result batch; it is only valid during the call. */
    void add(VectorSchemaRoot batch);

    /**
     * @param truncated rows beyond {@link #rowLimit()} were left out
     */
    T result(boolean truncated);

    @Override
    default void close() {}
}
