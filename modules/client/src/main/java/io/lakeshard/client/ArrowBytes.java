package io.lakeshard.client;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.Schema;

/** Arrow IPC streams as the API carries them. */
final class ArrowBytes {
    private ArrowBytes() {}

    static ByteString schema(Schema schema, BufferAllocator allocator) {
        try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
            return stream(root, false);
        }
    }

    static Schema schema(ByteString bytes, BufferAllocator allocator) {
        try (ArrowStreamReader reader = new ArrowStreamReader(bytes.newInput(), allocator)) {
            return reader.getVectorSchemaRoot().getSchema();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ByteString batch(VectorSchemaRoot batch) {
        return stream(batch, true);
    }

    private static ByteString stream(VectorSchemaRoot root, boolean withBatch) {
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
        return ByteString.copyFrom(out.toByteArray());
    }
}
