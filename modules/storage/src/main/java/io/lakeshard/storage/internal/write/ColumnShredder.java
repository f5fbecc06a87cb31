package io.lakeshard.storage.internal.write;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.TableSchema.FieldPair;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseLargeVariableWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.MapVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * Writes rows of Arrow vectors straight into parquet-mr's column writers, one column after another, with the
 * repetition and definition levels of the Dremel encoding worked out here. parquet-mr's record API does the same
 * through a record consumer that tracks every field start and end of every row, which cost more than the encoding
 * itself; pages, dictionaries, statistics, page index and bloom filters are still parquet-mr's own.
 */
final class ColumnShredder {
    private final List<FieldPair> columns;
    private final MessageType messageType;
    private List<Node> roots = List.of();

    ColumnShredder(List<FieldPair> columns, MessageType messageType) {
        this.columns = List.copyOf(requireNonNull(columns, "columns is null"));
        this.messageType = requireNonNull(messageType, "messageType is null");
    }

    /** Binds to a batch, which carries every column by its logical name, and to the row group's column store. */
    void bind(VectorSchemaRoot batch, ColumnWriteStore store) {
        List<Node> bound = new ArrayList<>(columns.size());
        for (int i = 0; i < columns.size(); i++) {
            String name = columns.get(i).logical().getName();
            FieldVector vector = batch.getVector(name);
            if (vector == null) {
                throw new IllegalArgumentException("batch has no column " + name);
            }
            Type type = messageType.getType(i);
            bound.add(node(vector, type, new String[] {type.getName()}, 0, 0, store));
        }
        roots = bound;
    }

    /**
     * Writes {@code rows[from..to)} of the bound batch into the columns of one top-level field per task. The tasks may
     * run on different threads: each field has column writers of its own (values, levels, dictionary, statistics,
     * bloom filter), and the bound vectors are only read. {@link #endRecords} must follow once every task is done.
     */
    List<Runnable> columnWrites(int[] rows, int from, int to) {
        List<Runnable> tasks = new ArrayList<>(roots.size());
        for (Node root : roots) {
            tasks.add(() -> {
                for (int i = from; i < to; i++) {
                    root.write(rows[i], 0, 0);
                }
            });
        }
        return tasks;
    }

    /**
     * Ends the records of rows written by {@link #columnWrites}, on one thread: the store cuts pages here, after
     * every column holds the rows, so where pages end does not depend on how the columns were shared out.
     */
    void endRecords(int from, int to, ColumnWriteStore store) {
        for (int i = from; i < to; i++) {
            store.endRecord();
        }
    }

    /**
     * One field of the Parquet schema bound to its Arrow vector. {@code write} is given the repetition level of the
     * value and the definition level of its parent (how many optional or repeated fields above it are present).
     */
    private interface Node {
        void write(int index, int repetition, int definition);

        /** Every leaf below: no value at this level, the levels above as given. */
        void writeNull(int repetition, int definition);
    }

    private Node node(FieldVector vector, Type type, String[] path, int repeatedAbove, int definedAbove, ColumnWriteStore store) {
        boolean optional = type.isRepetition(Type.Repetition.OPTIONAL);
        int defined = definedAbove + (optional ? 1 : 0);
        if (type.isPrimitive()) {
            return leaf(vector, store.getColumnWriter(messageType.getColumnDescription(path)), optional);
        }
        GroupType group = type.asGroupType();
        // MapVector extends ListVector: test it first.
        if (vector instanceof MapVector map) {
            GroupType entries = group.getType(0).asGroupType();
            StructVector entryVector = (StructVector) map.getDataVector();
            int repeated = repeatedAbove + 1;
            String[] entriesPath = append(path, entries.getName());
            Node key = node((FieldVector) entryVector.getChildByOrdinal(0), entries.getType(0), append(entriesPath, entries.getType(0).getName()),
                    repeated, defined + 1, store);
            Node value = node((FieldVector) entryVector.getChildByOrdinal(1), entries.getType(1), append(entriesPath, entries.getType(1).getName()),
                    repeated, defined + 1, store);
            return new Repeated(map, optional, defined, repeated, List.of(key, value));
        }
        if (vector instanceof ListVector list) {
            GroupType repeatedGroup = group.getType(0).asGroupType();
            String[] listPath = append(path, repeatedGroup.getName());
            Type element = repeatedGroup.getType(0);
            int repeated = repeatedAbove + 1;
            Node elementNode = node(list.getDataVector(), element, append(listPath, element.getName()), repeated, defined + 1, store);
            return new Repeated(list, optional, defined, repeated, List.of(elementNode));
        }
        StructVector struct = (StructVector) vector;
        List<FieldVector> children = struct.getChildrenFromFields();
        List<Node> nodes = new ArrayList<>(children.size());
        for (int i = 0; i < children.size(); i++) {
            Type child = group.getType(i);
            nodes.add(node(children.get(i), child, append(path, child.getName()), repeatedAbove, defined, store));
        }
        return new Group(struct, optional, nodes);
    }

    private static String[] append(String[] path, String name) {
        String[] longer = new String[path.length + 1];
        System.arraycopy(path, 0, longer, 0, path.length);
        longer[path.length] = name;
        return longer;
    }

    /** A struct: present, its fields follow one level deeper; absent, every leaf below is null here. */
    private record Group(StructVector vector, boolean optional, List<Node> children) implements Node {
        @Override
        public void write(int index, int repetition, int definition) {
            if (optional && vector.isNull(index)) {
                writeNull(repetition, definition);
                return;
            }
            int defined = optional ? definition + 1 : definition;
            for (Node child : children) {
                child.write(index, repetition, defined);
            }
        }

        @Override
        public void writeNull(int repetition, int definition) {
            for (Node child : children) {
                child.writeNull(repetition, definition);
            }
        }
    }

    /**
     * A list (one child: the element) or a map (two: key and value). Null and empty differ by one definition level;
     * each element after the first repeats at this field's own repetition level.
     */
    private record Repeated(ListVector vector, boolean optional, int defined, int repetitionLevel, List<Node> children) implements Node {
        @Override
        public void write(int index, int repetition, int definition) {
            if (optional && vector.isNull(index)) {
                writeNull(repetition, definition);
                return;
            }
            int start = vector.getElementStartIndex(index);
            int end = vector.getElementEndIndex(index);
            if (start == end) {
                writeNull(repetition, defined);
                return;
            }
            for (int element = start; element < end; element++) {
                int level = element == start ? repetition : repetitionLevel;
                for (Node child : children) {
                    child.write(element, level, defined + 1);
                }
            }
        }

        @Override
        public void writeNull(int repetition, int definition) {
            for (Node child : children) {
                child.writeNull(repetition, definition);
            }
        }
    }

    /** A value: written at the definition level that says it is present, or a null one level short of it. */
    private abstract static class Leaf implements Node {
        final FieldVector vector;
        final ColumnWriter writer;
        final boolean optional;

        Leaf(FieldVector vector, ColumnWriter writer, boolean optional) {
            this.vector = vector;
            this.writer = writer;
            this.optional = optional;
        }

        @Override
        public final void write(int index, int repetition, int definition) {
            if (optional && vector.isNull(index)) {
                writer.writeNull(repetition, definition);
            } else {
                value(index, repetition, optional ? definition + 1 : definition);
            }
        }

        @Override
        public final void writeNull(int repetition, int definition) {
            writer.writeNull(repetition, definition);
        }

        abstract void value(int index, int repetition, int definition);
    }

    private static Leaf leaf(FieldVector vector, ColumnWriter writer, boolean optional) {
        if (vector instanceof BigIntVector v) {
            return new Leaf(vector, writer, optional) {
                @Override
                void value(int index, int r, int d) {
                    writer.write(v.get(index), r, d);
                }
            };
        }
        if (vector instanceof TimeStampVector v) {
            return new Leaf(vector, writer, optional) {
                @Override
                void value(int index, int r, int d) {
                    writer.write(v.get(index), r, d);
                }
            };
        }
        if (vector instanceof IntVector v) {
            return new Leaf(vector, writer, optional) {
                @Override
                void value(int index, int r, int d) {
                    writer.write(v.get(index), r, d);
                }
            };
        }
        if (vector instanceof DateDayVector v) {
            return new Leaf(vector, writer, optional) {
                @Override
                void value(int index, int r, int d) {
                    writer.write(v.get(index), r, d);
                }
            };
        }
        if (vector instanceof SmallIntVector v) {
            return new Leaf(vector, writer, optional) {
                @Override
                void value(int index, int r, int d) {
                    writer.write((int) v.get(index), r, d);
                }
            };
        }
        if (vector instanceof TinyIntVector v) {
            return new Leaf(vector, writer, optional) {
                @Override
                void value(int index, int r, int d) {
                    writer.write((int) v.get(index), r, d);
                }
            };
        }
        if (vector instanceof BitVector v) {
            return new Leaf(vector, writer, optional) {
                @Override
                void value(int index, int r, int d) {
                    writer.write(v.get(index) == 1, r, d);
                }
            };
        }
        if (vector instanceof Float4Vector v) {
            return new Leaf(vector, writer, optional) {
                @Override
                void value(int index, int r, int d) {
                    writer.write(v.get(index), r, d);
                }
            };
        }
        if (vector instanceof Float8Vector v) {
            return new Leaf(vector, writer, optional) {
                @Override
                void value(int index, int r, int d) {
                    writer.write(v.get(index), r, d);
                }
            };
        }
        if (vector instanceof BaseVariableWidthVector v) {
            return new BytesLeaf(vector, writer, optional) {
                @Override
                void value(int index, int r, int d) {
                    int start = v.getStartOffset(index);
                    writer.write(bytes(v.getDataBuffer(), start, v.getEndOffset(index) - start), r, d);
                }
            };
        }
        if (vector instanceof BaseLargeVariableWidthVector v) {
            return new BytesLeaf(vector, writer, optional) {
                @Override
                void value(int index, int r, int d) {
                    ArrowBuf offsets = v.getOffsetBuffer();
                    long start = offsets.getLong((long) index * BaseLargeVariableWidthVector.OFFSET_WIDTH);
                    long end = offsets.getLong((long) (index + 1) * BaseLargeVariableWidthVector.OFFSET_WIDTH);
                    writer.write(bytes(v.getDataBuffer(), start, Math.toIntExact(end - start)), r, d);
                }
            };
        }
        if (vector instanceof FixedSizeBinaryVector v) {
            return new BytesLeaf(vector, writer, optional) {
                @Override
                void value(int index, int r, int d) {
                    writer.write(bytes(v.getDataBuffer(), (long) index * v.getByteWidth(), v.getByteWidth()), r, d);
                }
            };
        }
        if (vector instanceof DecimalVector v) {
            return decimal(v, writer, optional);
        }
        throw new IllegalArgumentException("cannot write vector " + vector.getClass().getSimpleName());
    }

    /**
     * Bytes copied into one reused array: parquet-mr copies a value it keeps (a dictionary entry, a bound) and only
     * reads the others, so no array is made per value.
     */
    private abstract static class BytesLeaf extends Leaf {
        private byte[] scratch = new byte[64];

        BytesLeaf(FieldVector vector, ColumnWriter writer, boolean optional) {
            super(vector, writer, optional);
        }

        final Binary bytes(ArrowBuf data, long start, int length) {
            if (scratch.length < length) {
                scratch = new byte[Math.max(length, scratch.length * 2)];
            }
            data.getBytes(start, scratch, 0, length);
            return Binary.fromReusedByteArray(scratch, 0, length);
        }
    }

    private static Leaf decimal(DecimalVector decimals, ColumnWriter writer, boolean optional) {
        int precision = decimals.getPrecision();
        if (precision <= 9) {
            return new Leaf(decimals, writer, optional) {
                @Override
                void value(int index, int r, int d) {
                    writer.write(decimals.getObject(index).unscaledValue().intValueExact(), r, d);
                }
            };
        }
        if (precision <= 18) {
            return new Leaf(decimals, writer, optional) {
                @Override
                void value(int index, int r, int d) {
                    writer.write(decimals.getObject(index).unscaledValue().longValueExact(), r, d);
                }
            };
        }
        int width = ParquetSchemas.decimalBytes(precision);
        return new Leaf(decimals, writer, optional) {
            @Override
            void value(int index, int r, int d) {
                writer.write(Binary.fromConstantByteArray(bigEndian(decimals.getObject(index), width)), r, d);
            }
        };
    }

    static byte[] bigEndian(BigDecimal value, int width) {
        byte[] unscaled = value.unscaledValue().toByteArray();
        byte[] out = new byte[width];
        byte pad = (byte) (value.signum() < 0 ? 0xFF : 0x00);
        int offset = width - unscaled.length;
        for (int i = 0; i < offset; i++) {
            out[i] = pad;
        }
        System.arraycopy(unscaled, 0, out, offset, unscaled.length);
        return out;
    }
}
