package io.lakeshard.client;

import com.google.protobuf.ByteString;
import io.lakeshard.arrow.ArrowStreams;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/** Arrow IPC streams as the API's protobuf messages carry them: the shared {@link ArrowStreams} over ByteStrings. */
final class ArrowBytes {
    private ArrowBytes() {}

    static ByteString schema(Schema schema, BufferAllocator allocator) {
        return ByteString.copyFrom(ArrowStreams.write(schema, allocator));
    }

    static Schema schema(ByteString bytes, BufferAllocator allocator) {
        try {
            return ArrowStreams.readSchema(bytes.newInput(), allocator);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ByteString batch(VectorSchemaRoot batch) {
        return ByteString.copyFrom(ArrowStreams.write(batch));
    }
}
