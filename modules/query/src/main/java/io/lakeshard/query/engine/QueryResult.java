package io.lakeshard.query.engine;

import static java.util.Objects.requireNonNull;

import io.lakeshard.query.QueryTimeoutException;
import io.lakeshard.storage.dataset.DatasetName;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A running query's rows, one bounded Arrow batch at a time, never the whole result. Stops at the row limit and says
 * so. Close it to free the query's memory; closing early cancels the query.
 */
public final class QueryResult implements AutoCloseable {
    private final ArrowReader reader;
    private final long rowLimit;
    private final Map<DatasetName, Long> versions;
    private final Map<DatasetName, Integer> filesScanned;
    private final AutoCloseable onClose;
    private final BooleanSupplier cancelled;
    private final Function<Exception, RuntimeException> failed;
    private long rows;
    private boolean truncated;
    private boolean done;

    QueryResult(ArrowReader reader, long rowLimit, Map<DatasetName, Long> versions, Map<DatasetName, Integer> filesScanned,
            AutoCloseable onClose, BooleanSupplier cancelled, Function<Exception, RuntimeException> failed) {
        this.reader = requireNonNull(reader, "reader is null");
        this.rowLimit = rowLimit;
        this.versions = Map.copyOf(versions);
        this.filesScanned = Map.copyOf(filesScanned);
        this.onClose = onClose;
        this.cancelled = cancelled;
        this.failed = failed;
    }

    public Schema schema() {
        try {
            return reader.getVectorSchemaRoot().getSchema();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Loads the next batch into {@link #batch()}; false at the end, or once the row limit is reached.
     *
     * @throws QueryTimeoutException when the query was cancelled or timed out, however DuckDB ended its stream
     */
    public boolean next() {
        if (done) {
            return false;
        }
        try {
            while (reader.loadNextBatch()) {
                VectorSchemaRoot batch = reader.getVectorSchemaRoot();
                if (batch.getRowCount() == 0) {
                    continue;
                }
                if (rows >= rowLimit) {
                    truncated = true;
                    break;
                }
                long room = rowLimit - rows;
                if (batch.getRowCount() > room) {
                    batch.setRowCount((int) room);
                    truncated = true;
                    done = true;
                }
                rows += batch.getRowCount();
                return true;
            }
            done = true;
            if (cancelled.getAsBoolean()) {
                // DuckDB, interrupted before its first row, may end the stream as if the result were empty: a
                // cancelled or timed-out query must never look complete.
                throw new QueryTimeoutException("query was cancelled or ran past its timeout", null);
            }
            return false;
        } catch (QueryTimeoutException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            if (cancelled.getAsBoolean()) {
                throw new QueryTimeoutException("query was cancelled or ran past its timeout", e);
            }
            // A value that does not convert, or the memory limit, shows only as the rows are produced.
            throw failed.apply(e);
        }
    }

    /** The current batch; valid until the next call to {@link #next()}. */
    public VectorSchemaRoot batch() {
        try {
            return reader.getVectorSchemaRoot();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public long rows() {
        return rows;
    }

    /** Whether rows beyond the limit were left out; final once {@link #next()} has returned false. */
    public boolean truncated() {
        return truncated;
    }

    /** The version each table was read at. */
    public Map<DatasetName, Long> versions() {
        return versions;
    }

    /** Data files handed to DuckDB per table, after pruning. */
    public Map<DatasetName, Integer> filesScanned() {
        return filesScanned;
    }

    @Override
    public void close() {
        try {
            onClose.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing a query failed", e);
        }
    }
}
