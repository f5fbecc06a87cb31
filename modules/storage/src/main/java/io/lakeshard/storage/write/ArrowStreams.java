package io.lakeshard.storage.write;

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

/** Arrow IPC streams as writes and schemas travel: read whole into one batch, written as one batch or none. */
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
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
