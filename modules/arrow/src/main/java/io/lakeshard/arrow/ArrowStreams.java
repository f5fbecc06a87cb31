package io.lakeshard.arrow;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.VectorSchemaRootAppender;

/**
 * Arrow IPC streams as schemas and writes travel between client, server and storage: a schema is a stream with no
 * batches, a write is a stream read whole into one batch. Reading throws {@link IOException} for a malformed stream,
 * so each caller decides what a bad stream means to it (bad input at the API, a bug further in).
 */
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

    /** The schema at the head of the stream; batches after it are not read. */
    public static Schema readSchema(InputStream stream, BufferAllocator allocator) throws IOException {
        try (ArrowStreamReader reader = new ArrowStreamReader(stream, allocator)) {
            return reader.getVectorSchemaRoot().getSchema();
        }
    }

    /** The batch as a stream of that one batch. */
    public static byte[] write(VectorSchemaRoot batch) {
        return stream(batch, true);
    }

    /** The schema as a stream with no batches. */
    public static byte[] write(Schema schema, BufferAllocator allocator) {
        try (VectorSchemaRoot empty = VectorSchemaRoot.create(schema, allocator)) {
            return stream(empty, false);
        }
    }

    private static byte[] stream(VectorSchemaRoot root, boolean withBatch) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ArrowStreamWriter writer = new ArrowStreamWriter(root, null, Channels.newChannel(out))) {
            writer.start();
            if (withBatch) {
                writer.writeBatch();
            }
            writer.end();
        } catch (IOException e) {
            // A byte array does not fail; this is a writer bug, not bad input.
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
