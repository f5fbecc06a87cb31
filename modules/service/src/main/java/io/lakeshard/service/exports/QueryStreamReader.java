package io.lakeshard.service.exports;

import static java.util.Objects.requireNonNull;

import io.lakeshard.service.query.QueryStream;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;

/** An opened query's batches as an {@link ArrowReader}, for a writer that pulls them through Arrow's C stream. */
final class QueryStreamReader extends ArrowReader {
    private final QueryStream query;
    private RuntimeException failure;

    QueryStreamReader(QueryStream query, BufferAllocator allocator) {
        super(allocator);
        this.query = requireNonNull(query, "query is null");
    }

    @Override
    public boolean loadNextBatch() throws IOException {
        try {
            return query.next();
        } catch (RuntimeException e) {
            // Kept to be reported as the query failed: through the writer it would come back as text.
            failure = e;
            throw new IOException(e.getMessage(), e);
        }
    }

    @Override
    public VectorSchemaRoot getVectorSchemaRoot() {
        return query.batch();
    }

    @Override
    public long bytesRead() {
        return 0;
    }

    @Override
    protected void closeReadSource() {
        // The query is closed by its owner.
    }

    @Override
    protected Schema readSchema() {
        return query.batch().getSchema();
    }

    @Override
    public Map<Long, Dictionary> getDictionaryVectors() {
        return Map.of();
    }

    @Override
    public Dictionary lookup(long id) {
        return null;
    }

    @Override
    public Set<Long> getDictionaryIds() {
        return Set.of();
    }

    /** The query's own failure, if reading failed because of it. */
    RuntimeException failure() {
        return failure;
    }
}
