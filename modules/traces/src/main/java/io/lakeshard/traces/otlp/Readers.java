package io.lakeshard.traces.otlp;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.util.function.IntFunction;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.FloatingPointVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VariableWidthFieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.StructVector;

/**
 * Readers of span columns by kind, for rows as they were written and as the query engine returns them: DuckDB has
 * no fixed-size binary (it returns a BLOB, a variable-width vector) and returns every column nullable. A null reads
 * as OTLP's default: empty, zero or false.
 */
final class Readers {
    private Readers() {}

    static FieldVector column(VectorSchemaRoot batch, String name) {
        FieldVector vector = batch.getVector(name);
        if (vector == null) {
            throw new IllegalArgumentException("the batch has no column " + name + "; spans need every column of the span schema");
        }
        return vector;
    }

    static FieldVector child(StructVector struct, String path, String name) {
        FieldVector vector = struct.getChild(name);
        if (vector == null) {
            throw new IllegalArgumentException("column " + path + " has no field " + name);
        }
        return vector;
    }

    static StructVector struct(String path, ValueVector vector) {
        if (vector instanceof StructVector struct) {
            return struct;
        }
        throw unexpected(path, vector, "a struct");
    }

    private static IllegalArgumentException unexpected(String path, ValueVector vector, String expected) {
        return new IllegalArgumentException("column " + path + " must be " + expected + ", not " + vector.getMinorType());
    }

    /** Binary or string values, fixed-size or variable-width. */
    static final class Bytes {
        private final ValueVector vector;
        private final IntFunction<byte[]> values;

        Bytes(String path, ValueVector vector) {
            this.vector = vector;
            if (vector instanceof FixedSizeBinaryVector fixed) {
                values = fixed::get;
            } else if (vector instanceof VariableWidthFieldVector variable) {
                values = variable::get;
            } else {
                throw unexpected(path, vector, "binary or a string");
            }
        }

        boolean isNull(int index) {
            return vector.isNull(index);
        }

        /** The value without copying it again: the vector's getter has already copied it out. */
        ByteString get(int index) {
            byte[] value = values.apply(index);
            return value == null ? ByteString.EMPTY : UnsafeByteOperations.unsafeWrap(value);
        }
    }

    /** Integers of any width. */
    static final class Longs {
        private final BaseIntVector vector;

        Longs(String path, ValueVector vector) {
            if (!(vector instanceof BaseIntVector integers)) {
                throw unexpected(path, vector, "an integer");
            }
            this.vector = integers;
        }

        boolean isNull(int index) {
            return vector.isNull(index);
        }

        long get(int index) {
            return vector.isNull(index) ? 0 : vector.getValueAsLong(index);
        }
    }

    static final class Doubles {
        private final FloatingPointVector vector;

        Doubles(String path, ValueVector vector) {
            if (!(vector instanceof FloatingPointVector floats)) {
                throw unexpected(path, vector, "a floating point number");
            }
            this.vector = floats;
        }

        boolean isNull(int index) {
            return vector.isNull(index);
        }

        double get(int index) {
            return vector.getValueAsDouble(index);
        }
    }

    static final class Bools {
        private final BitVector vector;

        Bools(String path, ValueVector vector) {
            if (!(vector instanceof BitVector bits)) {
                throw unexpected(path, vector, "a boolean");
            }
            this.vector = bits;
        }

        boolean isNull(int index) {
            return vector.isNull(index);
        }

        boolean get(int index) {
            return vector.get(index) != 0;
        }
    }

    /** Lists and maps (a map is a list of key-value structs): the range of each row's elements. */
    static final class Lists {
        private final ListVector vector;

        Lists(String path, ValueVector vector) {
            if (!(vector instanceof ListVector list)) {
                throw unexpected(path, vector, "a list or a map");
            }
            this.vector = list;
        }

        ValueVector elements() {
            return vector.getDataVector();
        }

        int start(int index) {
            return vector.getElementStartIndex(index);
        }

        /** A null list is empty, whatever its offsets say (Arrow allows a null to span elements). */
        int end(int index) {
            return vector.isNull(index) ? vector.getElementStartIndex(index) : vector.getElementEndIndex(index);
        }
    }
}
