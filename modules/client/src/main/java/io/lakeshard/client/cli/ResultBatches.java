package io.lakeshard.client.cli;

import io.lakeshard.client.QueryResults;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A query's result as an {@link ArrowReader}, so that the text writers loop over it and DuckDB pulls from it (through
 * Arrow's C stream) alike; it counts the rows as they pass and reports them. Its first batch is loaded before it
 * is made: that is when the server refuses a bad query, and no file should exist by then.
 */
final class ResultBatches extends ArrowReader {
    private final QueryResults results;
    private final ExportProgress progress;
    private boolean firstPending = true;
    private boolean more;
    private long rows;
    private RuntimeException failure;

    /** @param firstLoaded what {@link QueryResults#next()} returned for the first batch */
    ResultBatches(QueryResults results, boolean firstLoaded, ExportProgress progress, BufferAllocator allocator) {
        super(allocator);
        this.results = results;
        this.more = firstLoaded;
        this.progress = progress;
    }

    @Override
    public boolean loadNextBatch() throws IOException {
        if (firstPending) {
            firstPending = false;
        } else if (more) {
            try {
                more = results.next();
            } catch (RuntimeException e) {
                // Kept for the command to report as the server put it: through DuckDB it would come back as text.
                failure = e;
                throw new IOException(e.getMessage(), e);
            }
        }
        if (more) {
            rows += results.batch().getRowCount();
            progress.rows(rows);
        }
        return more;
    }

    /** The batch {@link #loadNextBatch()} loaded; before the first call, the first batch (or only the schema). */
    @Override
    public VectorSchemaRoot getVectorSchemaRoot() {
        return results.batch();
    }

    @Override
    public Map<Long, Dictionary> getDictionaryVectors() throws IOException {
        return results.reader().getDictionaryVectors();
    }

    @Override
    public Dictionary lookup(long id) {
        return results.reader().lookup(id);
    }

    @Override
    public Set<Long> getDictionaryIds() {
        return results.reader().getDictionaryIds();
    }

    BufferAllocator allocator() {
        return allocator;
    }

    long rows() {
        return rows;
    }

    /** The query's own failure, when reading the next batch failed; null otherwise. */
    RuntimeException failure() {
        return failure;
    }

    @Override
    public long bytesRead() {
        return results.reader().bytesRead();
    }

    /** The query's results belong to the command, which closes them; DuckDB closing its stream must not. */
    @Override
    protected void closeReadSource() {}

    @Override
    protected Schema readSchema() {
        return results.batch().getSchema();
    }
}
