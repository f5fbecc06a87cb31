package io.lakeshard.server.grpc;

import com.google.protobuf.ByteString;
import io.lakeshard.arrow.ArrowStreams;
import io.lakeshard.storage.dataset.InvalidInputException;
import java.io.IOException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/** Arrow IPC streams in API messages: the shared {@link ArrowStreams} over ByteStrings, a bad stream as bad input. */
public final class ArrowIpc {
    private ArrowIpc() {}

    /** A schema as an IPC stream with no batches. */
    public static ByteString schema(Schema schema, BufferAllocator allocator) {
        return ByteString.copyFrom(ArrowStreams.write(schema, allocator));
    }

    /** A batch as an IPC stream: its schema, the batch, the end. */
    public static ByteString batch(VectorSchemaRoot batch) {
        return ByteString.copyFrom(ArrowStreams.write(batch));
    }

    public static Schema schema(ByteString bytes, String field, BufferAllocator allocator) {
        try {
            return ArrowStreams.readSchema(bytes.newInput(), allocator);
        } catch (IOException | RuntimeException e) {
            throw new InvalidInputException(field, "expected an Arrow IPC stream holding a schema: " + e.getMessage());
        }
    }

    /** Every batch of the stream, as one batch; the caller closes it. */
    public static VectorSchemaRoot batches(ByteString bytes, BufferAllocator allocator) {
        try {
            return ArrowStreams.readAll(bytes.newInput(), allocator);
        } catch (IOException | RuntimeException e) {
            throw new InvalidInputException("arrow_ipc", "expected an Arrow IPC stream of record batches: " + e.getMessage());
        }
    }
}
