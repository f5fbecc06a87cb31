package io.lakeshard.server.grpc;

import com.google.protobuf.ByteString;
import io.lakeshard.storage.dataset.InvalidInputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.Schema;

/** Arrow IPC streams in API messages: schemas, and record batches. */
public final class ArrowIpc {
    private ArrowIpc() {}

    /** A schema as an IPC stream with no batches. */
    public static ByteString schema(Schema schema, BufferAllocator allocator) {
        try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ArrowStreamWriter writer = new ArrowStreamWriter(root, null, Channels.newChannel(out))) {
                writer.start();
                writer.end();
            }
            return ByteString.copyFrom(out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Schema schema(ByteString bytes, String field, BufferAllocator allocator) {
        try (ArrowStreamReader reader = new ArrowStreamReader(bytes.newInput(), allocator)) {
            return reader.getVectorSchemaRoot().getSchema();
        } catch (IOException | RuntimeException e) {
            throw new InvalidInputException(field, "expected an Arrow IPC stream holding a schema: " + e.getMessage());
        }
    }

    /** Every batch of the stream, as one batch; the caller closes it. */
    public static VectorSchemaRoot batches(ByteString bytes, BufferAllocator allocator) {
        try {
            return io.lakeshard.storage.write.ArrowStreams.readAll(bytes.newInput(), allocator);
        } catch (IOException | RuntimeException e) {
            throw new InvalidInputException("arrow_ipc", "expected an Arrow IPC stream of record batches: " + e.getMessage());
        }
    }
}
