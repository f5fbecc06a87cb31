package io.lakeshard.service.query;

import static java.util.Objects.requireNonNull;

import io.lakeshard.cluster.metrics.Metrics;
import io.lakeshard.query.QueryTimeoutException;
import io.lakeshard.query.engine.QueryResult;
import io.lakeshard.service.ServiceErrors;
import io.lakeshard.service.ServiceException;
import io.lakeshard.storage.dataset.DatasetName;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * An admitted query as a door streams it: its server-given id at once, then, after {@link #open()}, its batches; and
 * a close that gives back the tenant's query slot. A door sends the id first, so the caller can cancel a query
 * before its first row (an aggregate's first row comes only at its end).
 *
 * <p>The side that reads the stream closes it, when done or when the caller has gone, opened or not. Anything else
 * that learns the caller went away (a transport's cancel callback, on its own thread) calls {@link #stop()}: the
 * result's memory is DuckDB's, and freeing it under a read in progress crashes the process.
 */
public final class QueryStream implements AutoCloseable {
    private final String id;
    private final String label;
    private final long rowLimit;
    private final Function<BooleanSupplier, QueryResult> execute;
    private final Runnable cancel;
    private final Runnable release;
    private final Metrics metrics;
    private final long startedNanos = System.nanoTime();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private volatile QueryResult result;
    private volatile boolean finished;
    private final Object lock = new Object();
    /**
     * An {@link #open()} began: from then on only the reading side's close frees the result. Guarded by lock, as is
     * open's check of the cancel mark, which {@link #stop()} sets before it looks at this.
     */
    private boolean opened;

    /**
     * @param execute runs the query, given this stream's cancel mark: the engine knows the query only once it is
     *     planned, and a cancel during planning must still stop it
     * @param cancel stops the query in the engine, however far it got
     * @param release gives the tenant's slot back
     */
    QueryStream(String id, String label, long rowLimit, Function<BooleanSupplier, QueryResult> execute, Runnable cancel, Runnable release,
            Metrics metrics) {
        this.id = requireNonNull(id, "id is null");
        this.label = requireNonNull(label, "label is null");
        this.rowLimit = rowLimit;
        this.execute = requireNonNull(execute, "execute is null");
        this.cancel = requireNonNull(cancel, "cancel is null");
        this.release = requireNonNull(release, "release is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
    }

    /**
     * Plans and starts the query. Blocks (planning, and for an aggregate the whole run): call it where blocking is
     * allowed.
     *
     * @throws ServiceException DEADLINE_EXCEEDED if it was cancelled first, or the query's own failure
     */
    public QueryStream open() {
        try {
            synchronized (lock) {
                if (cancelled.get()) {
                    throw new QueryTimeoutException("query " + id + " was cancelled", null);
                }
                opened = true;
            }
            result = execute.apply(cancelled::get);
            return this;
        } catch (RuntimeException e) {
            throw ServiceErrors.map(e);
        }
    }

    /** Marks the query cancelled, for a cancel that arrives before it was opened. */
    boolean markCancelled() {
        return cancelled.compareAndSet(false, true);
    }

    /** The server's id of the query: what cancel and the query list take. */
    public String id() {
        return id;
    }

    public String label() {
        return label;
    }

    /** At most this many rows come back; more sets {@link #truncated()}. Known before the query runs. */
    public long rowLimit() {
        return rowLimit;
    }

    /** The batch {@link #next()} loaded; its schema is the result's from the start. */
    public VectorSchemaRoot batch() {
        return result.batch();
    }

    /** Loads the next batch; false at the end of the result. */
    public boolean next() {
        boolean more = result.next();
        if (!more) {
            finished = true;
        }
        return more;
    }

    public long rows() {
        return result.rows();
    }

    /** True when rows beyond the row limit were left out. */
    public boolean truncated() {
        return result.truncated();
    }

    /** The version of each table the query read. */
    public Map<String, Long> tableVersions() {
        Map<String, Long> versions = new HashMap<>();
        for (Map.Entry<DatasetName, Long> entry : result.versions().entrySet()) {
            versions.put(entry.getKey().toString(), entry.getValue());
        }
        return versions;
    }

    /**
     * Stops the query from any thread: the engine is interrupted, and the reading side's next call fails, after which
     * it closes the stream. A stream never opened is closed here, since no reading side will.
     */
    public void stop() {
        if (!finished) {
            markCancelled();
            cancel.run();
        }
        boolean neverOpened;
        synchronized (lock) {
            neverOpened = !opened;
        }
        if (neverOpened) {
            close();
        }
    }

    /** Called by the side that reads the stream (or by {@link #stop()} when none ever did); frees the result. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        metrics.time("lakeshard_query_seconds", "Queries: time from start to the last row sent", System.nanoTime() - startedNanos);
        metrics.count("lakeshard_queries_total", "Queries by outcome", finished ? "result=\"completed\"" : "result=\"stopped\"", 1);
        if (!finished) {
            // The caller went away (or the door gave up) while the query may still be planning or running: stop it,
            // or it would hold the tenant's slot and the engine until its timeout.
            markCancelled();
            cancel.run();
        }
        try {
            if (result != null) {
                result.close();
            }
        } finally {
            release.run();
        }
    }
}
