package io.lakeshard.storage.write;

import java.io.IOException;
import java.io.InputStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.util.VectorSchemaRootAppender;

/** Arrow IPC streams as writes arrive: every batch of a stream as one batch. */
public final class ArrowStreams {
    private ArrowStreams() {}

    /** All batches of the stream, appended into one; the caller closes it. */
    public static VectorSchemaRoot readAll(InputStream stream, BufferAllocator allocator) throws IOException {
        try (ArrowStreamReader reader = new ArrowStreamReader(stream, allocator)) {
            VectorSchemaRoot all = VectorSchemaRoot.create(reader.getVectorSchemaRoot().getSchema(), allocator);
            try {
                all.allocateNew();
                all.setRowCount(0);
                while (reader.loadNextBatch()) {
                    VectorSchemaRootAppender.append(all, reader.getVectorSchemaRoot());
                }
                return all;
            } catch (IOException | RuntimeException e) {
                all.close();
                throw e;
            }
        }
    }
}
