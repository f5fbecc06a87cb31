package io.lakeshard.traces.otlp;

import com.google.protobuf.ByteString;
import io.lakeshard.traces.SpanSchema;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.complex.MapVector;
import org.apache.arrow.vector.complex.StructVector;

/**
 * Writes OTLP attributes into one map column of the span schema. A key that occurs again in the same list is
 * dropped, the first value kept: OTLP forbids duplicates and the query engine's maps cannot hold them.
 */
final class AttributeWriter {
    /** Below this many attributes comparing every pair is cheaper than hashing the keys. */
    private static final int LINEAR_DUPLICATE_CHECK = 16;

    private final MapVector map;
    private final StructVector entries;
    private final VarCharVector keys;
    private final StructVector values;
    private final VarCharVector strings;
    private final BitVector bools;
    private final BigIntVector ints;
    private final Float8Vector doubles;
    private final VarBinaryVector bytes;
    private final VarBinaryVector arrays;
    private final VarBinaryVector kvlists;
    private final Scratch scratch;

    AttributeWriter(MapVector map, Scratch scratch) {
        this.map = map;
        this.scratch = scratch;
        this.entries = (StructVector) map.getDataVector();
        this.keys = (VarCharVector) entries.getChildByOrdinal(0);
        this.values = (StructVector) entries.getChildByOrdinal(1);
        this.strings = values.getChild(SpanSchema.STRING_VALUE, VarCharVector.class);
        this.bools = values.getChild(SpanSchema.BOOL_VALUE, BitVector.class);
        this.ints = values.getChild(SpanSchema.INT_VALUE, BigIntVector.class);
        this.doubles = values.getChild(SpanSchema.DOUBLE_VALUE, Float8Vector.class);
        this.bytes = values.getChild(SpanSchema.BYTES_VALUE, VarBinaryVector.class);
        this.arrays = values.getChild(SpanSchema.ARRAY_VALUE, VarBinaryVector.class);
        this.kvlists = values.getChild(SpanSchema.KVLIST_VALUE, VarBinaryVector.class);
    }

    /** Sizes the entries for {@code rows} maps of {@code entries} entries in all, before the vector is allocated. */
    void setInitialCapacity(int rows, int totalEntries) {
        map.setInitialTotalCapacity(rows, totalEntries);
    }

    void write(int row, List<KeyValue> attributes) {
        boolean[] duplicate = duplicates(attributes);
        int first = map.startNewValue(row);
        int written = 0;
        for (int i = 0; i < attributes.size(); i++) {
            if (duplicate == null || !duplicate[i]) {
                writeEntry(first + written, attributes.get(i), null);
                written++;
            }
        }
        map.endValue(row, written);
    }

    /** Writes attributes that repeat on many rows (a resource's, a scope's), deduplicated and serialized once. */
    void write(int row, Prepared attributes) {
        int first = map.startNewValue(row);
        for (int i = 0; i < attributes.kept.length; i++) {
            writeEntry(first + i, attributes.kept[i], attributes.nested[i]);
        }
        map.endValue(row, attributes.kept.length);
    }

    /** @param nested the array or kvlist value already serialized, or null to serialize it here */
    private void writeEntry(int index, KeyValue attribute, ByteString nested) {
        entries.setIndexDefined(index);
        scratch.set(keys, index, attribute.getKeyBytes());
        // A KeyValue without a value (not an empty AnyValue) is a null struct, so that both come back as they came.
        if (!attribute.hasValue()) {
            return;
        }
        values.setIndexDefined(index);
        AnyValue value = attribute.getValue();
        switch (value.getValueCase()) {
            case STRING_VALUE -> scratch.set(strings, index, value.getStringValueBytes());
            case BOOL_VALUE -> bools.setSafe(index, value.getBoolValue() ? 1 : 0);
            case INT_VALUE -> ints.setSafe(index, value.getIntValue());
            case DOUBLE_VALUE -> doubles.setSafe(index, value.getDoubleValue());
            case BYTES_VALUE -> scratch.set(bytes, index, value.getBytesValue());
            case ARRAY_VALUE -> scratch.set(arrays, index, nested != null ? nested : value.getArrayValue().toByteString());
            case KVLIST_VALUE -> scratch.set(kvlists, index, nested != null ? nested : value.getKvlistValue().toByteString());
            case VALUE_NOT_SET -> {
                // An empty AnyValue: the struct is set, every field of it null.
            }
        }
    }

    /** Which attributes repeat an earlier key, or null if none does (the usual case, allocating nothing). */
    private static boolean[] duplicates(List<KeyValue> attributes) {
        int size = attributes.size();
        boolean[] duplicate = null;
        if (size <= LINEAR_DUPLICATE_CHECK) {
            for (int i = 1; i < size; i++) {
                String key = attributes.get(i).getKey();
                for (int j = 0; j < i; j++) {
                    if (key.equals(attributes.get(j).getKey())) {
                        duplicate = duplicate == null ? new boolean[size] : duplicate;
                        duplicate[i] = true;
                        break;
                    }
                }
            }
            return duplicate;
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < size; i++) {
            if (!seen.add(attributes.get(i).getKey())) {
                duplicate = duplicate == null ? new boolean[size] : duplicate;
                duplicate[i] = true;
            }
        }
        return duplicate;
    }

    /** Attributes deduplicated, their nested values serialized, once for all the rows they are written to. */
    static final class Prepared {
        private final KeyValue[] kept;
        private final ByteString[] nested;

        private Prepared(KeyValue[] kept) {
            this.kept = kept;
            this.nested = new ByteString[kept.length];
            for (int i = 0; i < kept.length; i++) {
                AnyValue value = kept[i].getValue();
                switch (value.getValueCase()) {
                    case ARRAY_VALUE -> nested[i] = value.getArrayValue().toByteString();
                    case KVLIST_VALUE -> nested[i] = value.getKvlistValue().toByteString();
                    default -> nested[i] = null;
                }
            }
        }

        static Prepared of(List<KeyValue> attributes) {
            boolean[] duplicate = duplicates(attributes);
            List<KeyValue> kept = new ArrayList<>(attributes.size());
            for (int i = 0; i < attributes.size(); i++) {
                if (duplicate == null || !duplicate[i]) {
                    kept.add(attributes.get(i));
                }
            }
            return new Prepared(kept.toArray(KeyValue[]::new));
        }

        /** The first string value of {@code key}, or empty if it has none or another type. */
        ByteString string(String key) {
            for (KeyValue attribute : kept) {
                if (attribute.getKey().equals(key)) {
                    AnyValue value = attribute.getValue();
                    return value.hasStringValue() ? value.getStringValueBytes() : ByteString.EMPTY;
                }
            }
            return ByteString.EMPTY;
        }
    }
}
