package io.lakeshard.storage.internal.write;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.TableSchema.FieldPair;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.LargeVarBinaryVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.MapVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;

/**
 * The write path before {@link ColumnShredder}, kept as the reference its files are compared with: parquet-mr's
 * record writer, fed one row of the current Arrow batch per record (the record is the row index, so rows can be
 * written in any order).
 */
final class ArrowWriteSupport extends WriteSupport<Integer> {
    private final List<FieldPair> columns;
    private final MessageType messageType;
    private RecordConsumer consumer;
    private List<ColumnWriter> writers = List.of();

    ArrowWriteSupport(List<FieldPair> columns) {
        this.columns = List.copyOf(requireNonNull(columns, "columns is null"));
        this.messageType = ParquetSchemas.messageType(columns.stream().map(FieldPair::physical).toList());
    }

    MessageType messageType() {
        return messageType;
    }

    /** Binds the writers to a batch; the batch must carry every data column by its logical name. */
    void setSource(VectorSchemaRoot root) {
        List<ColumnWriter> bound = new ArrayList<>(columns.size());
        for (int i = 0; i < columns.size(); i++) {
            FieldPair column = columns.get(i);
            FieldVector vector = root.getVector(column.logical().getName());
            if (vector == null) {
                throw new IllegalArgumentException("batch has no column " + column.logical().getName());
            }
            bound.add(new ColumnWriter(column.physical().getName(), i, valueWriter(vector, column.physical())));
        }
        writers = bound;
    }

    @Override
    public WriteContext init(Configuration configuration) {
        return new WriteContext(messageType, new HashMap<>());
    }

    @Override
    public void prepareForWrite(RecordConsumer recordConsumer) {
        this.consumer = recordConsumer;
    }

    @Override
    public void write(Integer row) {
        consumer.startMessage();
        for (ColumnWriter writer : writers) {
            writer.write(consumer, row);
        }
        consumer.endMessage();
    }

    private record ColumnWriter(String name, int index, ValueWriter value) {
        void write(RecordConsumer consumer, int row) {
            if (value.isNull(row)) {
                return;
            }
            consumer.startField(name, index);
            value.write(consumer, row);
            consumer.endField(name, index);
        }
    }

    private interface ValueWriter {
        boolean isNull(int row);

        void write(RecordConsumer consumer, int row);
    }

    private static ValueWriter valueWriter(FieldVector vector, Field physical) {
        // MapVector extends ListVector: test it first.
        if (vector instanceof MapVector map) {
            return mapWriter(map, physical.getChildren().get(0));
        }
        if (vector instanceof ListVector list) {
            return listWriter(list, physical.getChildren().get(0));
        }
        if (vector instanceof StructVector struct) {
            return structWriter(struct, physical);
        }
        return primitiveWriter(vector);
    }

    private static ValueWriter primitiveWriter(FieldVector vector) {
        if (vector instanceof BitVector v) {
            return of(vector, (c, i) -> c.addBoolean(v.get(i) == 1));
        }
        if (vector instanceof TinyIntVector v) {
            return of(vector, (c, i) -> c.addInteger(v.get(i)));
        }
        if (vector instanceof SmallIntVector v) {
            return of(vector, (c, i) -> c.addInteger(v.get(i)));
        }
        if (vector instanceof IntVector v) {
            return of(vector, (c, i) -> c.addInteger(v.get(i)));
        }
        if (vector instanceof BigIntVector v) {
            return of(vector, (c, i) -> c.addLong(v.get(i)));
        }
        if (vector instanceof Float4Vector v) {
            return of(vector, (c, i) -> c.addFloat(v.get(i)));
        }
        if (vector instanceof Float8Vector v) {
            return of(vector, (c, i) -> c.addDouble(v.get(i)));
        }
        if (vector instanceof DateDayVector v) {
            return of(vector, (c, i) -> c.addInteger(v.get(i)));
        }
        if (vector instanceof TimeStampVector v) {
            return of(vector, (c, i) -> c.addLong(v.get(i)));
        }
        if (vector instanceof VarCharVector v) {
            return of(vector, (c, i) -> c.addBinary(Binary.fromConstantByteArray(v.get(i))));
        }
        if (vector instanceof LargeVarCharVector v) {
            return of(vector, (c, i) -> c.addBinary(Binary.fromConstantByteArray(v.get(i))));
        }
        if (vector instanceof VarBinaryVector v) {
            return of(vector, (c, i) -> c.addBinary(Binary.fromConstantByteArray(v.get(i))));
        }
        if (vector instanceof LargeVarBinaryVector v) {
            return of(vector, (c, i) -> c.addBinary(Binary.fromConstantByteArray(v.get(i))));
        }
        if (vector instanceof FixedSizeBinaryVector v) {
            return of(vector, (c, i) -> c.addBinary(Binary.fromConstantByteArray(v.get(i))));
        }
        if (vector instanceof DecimalVector v) {
            return decimalWriter(v);
        }
        throw new IllegalArgumentException("cannot write vector " + vector.getClass().getSimpleName());
    }

    private static ValueWriter decimalWriter(DecimalVector vector) {
        int precision = vector.getPrecision();
        if (precision <= 9) {
            return of(vector, (c, i) -> c.addInteger(vector.getObject(i).unscaledValue().intValueExact()));
        }
        if (precision <= 18) {
            return of(vector, (c, i) -> c.addLong(vector.getObject(i).unscaledValue().longValueExact()));
        }
        int width = ParquetSchemas.decimalBytes(precision);
        return of(vector, (c, i) -> c.addBinary(Binary.fromConstantByteArray(ColumnShredder.bigEndian(vector.getObject(i), width))));
    }

    private static ValueWriter listWriter(ListVector list, Field physicalElement) {
        ValueWriter element = valueWriter(list.getDataVector(), physicalElement);
        return new ValueWriter() {
            @Override
            public boolean isNull(int row) {
                return list.isNull(row);
            }

            @Override
            public void write(RecordConsumer c, int row) {
                int start = list.getElementStartIndex(row);
                int end = list.getElementEndIndex(row);
                c.startGroup();
                if (end > start) {
                    c.startField("list", 0);
                    for (int i = start; i < end; i++) {
                        c.startGroup();
                        if (!element.isNull(i)) {
                            c.startField("element", 0);
                            element.write(c, i);
                            c.endField("element", 0);
                        }
                        c.endGroup();
                    }
                    c.endField("list", 0);
                }
                c.endGroup();
            }
        };
    }

    private static ValueWriter mapWriter(MapVector map, Field physicalEntries) {
        StructVector entries = (StructVector) map.getDataVector();
        ValueWriter key = valueWriter((FieldVector) entries.getChildByOrdinal(0), physicalEntries.getChildren().get(0));
        ValueWriter value = valueWriter((FieldVector) entries.getChildByOrdinal(1), physicalEntries.getChildren().get(1));
        return new ValueWriter() {
            @Override
            public boolean isNull(int row) {
                return map.isNull(row);
            }

            @Override
            public void write(RecordConsumer c, int row) {
                int start = map.getElementStartIndex(row);
                int end = map.getElementEndIndex(row);
                c.startGroup();
                if (end > start) {
                    c.startField("key_value", 0);
                    for (int i = start; i < end; i++) {
                        c.startGroup();
                        c.startField("key", 0);
                        key.write(c, i);
                        c.endField("key", 0);
                        if (!value.isNull(i)) {
                            c.startField("value", 1);
                            value.write(c, i);
                            c.endField("value", 1);
                        }
                        c.endGroup();
                    }
                    c.endField("key_value", 0);
                }
                c.endGroup();
            }
        };
    }

    private static ValueWriter structWriter(StructVector struct, Field physical) {
        List<ColumnWriter> children = new ArrayList<>();
        List<FieldVector> vectors = struct.getChildrenFromFields();
        for (int i = 0; i < vectors.size(); i++) {
            Field physicalChild = physical.getChildren().get(i);
            children.add(new ColumnWriter(physicalChild.getName(), i, valueWriter(vectors.get(i), physicalChild)));
        }
        return new ValueWriter() {
            @Override
            public boolean isNull(int row) {
                return struct.isNull(row);
            }

            @Override
            public void write(RecordConsumer c, int row) {
                c.startGroup();
                for (ColumnWriter child : children) {
                    child.write(c, row);
                }
                c.endGroup();
            }
        };
    }

    private interface Emit {
        void emit(RecordConsumer consumer, int row);
    }

    private static ValueWriter of(FieldVector vector, Emit emit) {
        return new ValueWriter() {
            @Override
            public boolean isNull(int row) {
                return vector.isNull(row);
            }

            @Override
            public void write(RecordConsumer consumer, int row) {
                emit.emit(consumer, row);
            }
        };
    }
}
