package io.lakeshard.traces.otlp;

import com.google.protobuf.ByteString;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;

/**
 * Copies protobuf bytes into vectors through one reusable buffer: a {@link ByteString} does not expose its array,
 * and copying each value to a new one would allocate per attribute on the hot path of every export.
 */
final class Scratch {
    private byte[] buffer = new byte[256];

    void set(BaseVariableWidthVector vector, int index, ByteString value) {
        int size = value.size();
        if (size > buffer.length) {
            buffer = new byte[Math.max(size, buffer.length * 2)];
        }
        value.copyTo(buffer, 0);
        vector.setSafe(index, buffer, 0, size);
    }

    /** Sets a value of exactly the vector's width; the caller has checked the size. */
    void set(FixedSizeBinaryVector vector, int index, ByteString value) {
        value.copyTo(buffer, 0);
        vector.setSafe(index, buffer);
    }
}
