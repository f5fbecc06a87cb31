package io.lakeshard.traces.otlp;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import io.lakeshard.traces.SpanSchema;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.complex.StructVector;

/** Reads one attribute map column of the span schema back into OTLP attributes, in their stored order. */
final class AttributeReader {
    private final String path;
    private final Readers.Lists map;
    private final Readers.Bytes keys;
    private final StructVector values;
    private final Readers.Bytes strings;
    private final Readers.Bools bools;
    private final Readers.Longs ints;
    private final Readers.Doubles doubles;
    private final Readers.Bytes bytes;
    private final Readers.Bytes arrays;
    private final Readers.Bytes kvlists;

    AttributeReader(String path, ValueVector vector) {
        this.path = path;
        this.map = new Readers.Lists(path, vector);
        // A map's entries are a key and a value, whatever the engine names them.
        StructVector entries = Readers.struct(path, map.elements());
        this.keys = new Readers.Bytes(path + ".key", entries.getChildByOrdinal(0));
        String valuePath = path + ".value";
        this.values = Readers.struct(valuePath, entries.getChildByOrdinal(1));
        this.strings = new Readers.Bytes(valuePath, Readers.child(values, valuePath, SpanSchema.STRING_VALUE));
        this.bools = new Readers.Bools(valuePath, Readers.child(values, valuePath, SpanSchema.BOOL_VALUE));
        this.ints = new Readers.Longs(valuePath, Readers.child(values, valuePath, SpanSchema.INT_VALUE));
        this.doubles = new Readers.Doubles(valuePath, Readers.child(values, valuePath, SpanSchema.DOUBLE_VALUE));
        this.bytes = new Readers.Bytes(valuePath, Readers.child(values, valuePath, SpanSchema.BYTES_VALUE));
        this.arrays = new Readers.Bytes(valuePath, Readers.child(values, valuePath, SpanSchema.ARRAY_VALUE));
        this.kvlists = new Readers.Bytes(valuePath, Readers.child(values, valuePath, SpanSchema.KVLIST_VALUE));
    }

    List<KeyValue> read(int row) {
        int start = map.start(row);
        int end = map.end(row);
        List<KeyValue> attributes = new ArrayList<>(end - start);
        for (int i = start; i < end; i++) {
            KeyValue.Builder attribute = KeyValue.newBuilder().setKeyBytes(keys.get(i));
            if (!values.isNull(i)) {
                attribute.setValue(value(i));
            }
            attributes.add(attribute.build());
        }
        return attributes;
    }

    private AnyValue value(int i) {
        AnyValue.Builder value = AnyValue.newBuilder();
        if (!strings.isNull(i)) {
            value.setStringValueBytes(strings.get(i));
        } else if (!bools.isNull(i)) {
            value.setBoolValue(bools.get(i));
        } else if (!ints.isNull(i)) {
            value.setIntValue(ints.get(i));
        } else if (!doubles.isNull(i)) {
            value.setDoubleValue(doubles.get(i));
        } else if (!bytes.isNull(i)) {
            value.setBytesValue(bytes.get(i));
        } else if (!arrays.isNull(i)) {
            value.setArrayValue(parse(i, SpanSchema.ARRAY_VALUE, arrays.get(i), ArrayValue.parser()));
        } else if (!kvlists.isNull(i)) {
            value.setKvlistValue(parse(i, SpanSchema.KVLIST_VALUE, kvlists.get(i), KeyValueList.parser()));
        }
        return value.build();
    }

    private <T> T parse(int i, String field, ByteString serialized, Parser<T> parser) {
        try {
            return parser.parseFrom(serialized);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("column " + path + " entry " + i + ": " + field + " is not what the writer stored", e);
        }
    }
}
