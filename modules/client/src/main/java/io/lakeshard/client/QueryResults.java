package io.lakeshard.client;

import io.lakeshard.api.v1.QueryStarted;
import io.lakeshard.api.v1.QuerySummary;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.util.Text;

/**
 * A query's rows as they stream in: {@link #reader()} reads one Arrow batch at a time, never the whole result.
 * Close it to stop the query early.
 */
public final class QueryResults implements AutoCloseable {
    /** How long a close waits for the end of a stream whose rows were all read: the summary follows the last batch. */
    private static final long END_WAIT_SECONDS = 5;

    private final ArrowStreamReader reader;
    private final InputStream bytes;
    private final CompletableFuture<QueryStarted> started;
    private final CompletableFuture<QuerySummary> summary;
    private final CompletableFuture<Void> ended;
    private boolean exhausted;

    /** @param ended completes when the stream does, however it ends */
    QueryResults(InputStream bytes, CompletableFuture<QueryStarted> started, CompletableFuture<QuerySummary> summary,
            CompletableFuture<Void> ended, BufferAllocator allocator) {
        this.bytes = bytes;
        this.started = started;
        this.summary = summary;
        this.ended = ended;
        this.reader = new ArrowStreamReader(bytes, allocator);
    }

    public ArrowStreamReader reader() {
        return reader;
    }

    /** Loads the next batch; false at the end. */
    public boolean next() {
        try {
            boolean loaded = reader.loadNextBatch();
            exhausted |= !loaded;
            return loaded;
        } catch (IOException e) {
            throw LakeshardClient.failure(e.getCause() != null ? e.getCause() : e);
        }
    }

    public VectorSchemaRoot batch() {
        try {
            return reader.getVectorSchemaRoot();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The rows one at a time, as column name to value (Arrow's Java values), read batch by batch as they arrive.
     * Use either this or {@link #next()}, not both.
     */
    public Iterator<Map<String, Object>> rows() {
        return new Iterator<>() {
            private int row;
            private boolean loaded;

            @Override
            public boolean hasNext() {
                while (!loaded || row >= batch().getRowCount()) {
                    if (!QueryResults.this.next()) {
                        return false;
                    }
                    loaded = true;
                    row = 0;
                }
                return true;
            }

            @Override
            public Map<String, Object> next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Map<String, Object> values = new LinkedHashMap<>();
                for (FieldVector vector : batch().getFieldVectors()) {
                    Object value = vector.getObject(row);
                    values.put(vector.getName(), value instanceof Text text ? text.toString() : value);
                }
                row++;
                return values;
            }
        };
    }

    /**
     * The id the server gave the query, for {@link LakeshardClient#cancel}: the stream's first message, so known
     * before any row arrives.
     */
    public String queryId() {
        return await(started).getQueryId();
    }

    /** At most this many rows come back: known from the start, before any row. */
    public long rowLimit() {
        return await(started).getRowLimit();
    }

    /**
     * True when more rows matched than the row limit let through: the result is incomplete. Known once every batch
     * was read.
     */
    public boolean truncated() {
        return summary().getTruncated();
    }

    /** Rows, truncation and table versions: available once every batch was read. */
    public QuerySummary summary() {
        return await(summary);
    }

    private static <T> T await(CompletableFuture<T> part) {
        try {
            return part.get(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw LakeshardClient.failure(e.getCause() != null ? e.getCause() : e);
        }
    }

    /**
     * Stops the query if rows are still coming. Once every row was read (or the summary came), the stream is let end
     * on its own first: closing it a moment before its last message would cancel it, and every cancel is an HTTP/2
     * reset, which servers count against the connection (a client that resets too often is disconnected).
     */
    @Override
    public void close() {
        if (exhausted || summary.isDone()) {
            try {
                ended.get(END_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // It ended badly or late: closing cancels whatever is left.
            }
        }
        try {
            reader.close();
            bytes.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
