package io.lakeshard.storage.internal.read;

import static java.util.Objects.requireNonNull;

import io.delta.kernel.data.ArrayValue;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.MapValue;
import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.engine.FileReadResult;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.FileStatus;
import io.lakeshard.storage.dataset.TableSchema;
import io.lakeshard.storage.internal.fs.HadoopStorage;
import io.lakeshard.storage.internal.kernel.DeltaSchemas;
import io.lakeshard.storage.stats.StatValues;
import io.lakeshard.storage.table.DataFile;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.TableSnapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
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
import org.apache.hadoop.fs.Path;

/**
 * Reads a data file of a table version back as Arrow, in the table's logical schema with partition columns filled
 * in. Columns added after the file was written read as null. This is the path maintenance rewrites go through.
 */
public final class DataFileReader {
    private final Engine engine;
    private final BufferAllocator allocator;

    public DataFileReader(DeltaTable table, BufferAllocator allocator) {
        this.engine = DefaultEngine.create(HadoopStorage.of(requireNonNull(table, "table is null").storage()).conf());
        this.allocator = requireNonNull(allocator, "allocator is null");
    }

    /** The file's rows as one batch; the caller closes it. */
    public VectorSchemaRoot read(TableSnapshot snapshot, DataFile file) {
        TableSchema schema = snapshot.schema();
        List<TableSchema.FieldPair> dataColumns = schema.dataColumns();
        List<StructField> readFields = new ArrayList<>();
        for (TableSchema.FieldPair column : dataColumns) {
            readFields.add(DeltaSchemas.toDelta(renamedTree(column.logical(), column.physical())));
        }
        StructType readSchema = new StructType(readFields);
        // A Hadoop path string, decoded: Kernel reads the string as a path, so "%20" would be taken literally.
        String location = new Path(file.uri(snapshot.tableRoot())).toString();
        VectorSchemaRoot root = VectorSchemaRoot.create(schema.logical(), allocator);
        try {
            int rows = 0;
            try (CloseableIterator<FileReadResult> results = engine.getParquetHandler().readParquetFiles(
                    singleton(FileStatus.of(location, file.sizeBytes(), file.modificationTime())), readSchema, Optional.empty())) {
                while (results.hasNext()) {
                    ColumnarBatch batch = results.next().getData();
                    for (int c = 0; c < dataColumns.size(); c++) {
                        FieldVector target = root.getVector(dataColumns.get(c).logical().getName());
                        ColumnVector source = batch.getColumnVector(c);
                        for (int i = 0; i < batch.getSize(); i++) {
                            copy(source, i, target, rows + i);
                        }
                    }
                    rows += batch.getSize();
                }
            }
            for (String partitionColumn : schema.partitionColumns()) {
                FieldVector vector = root.getVector(partitionColumn);
                String text = file.partitionValues().get(schema.physicalName(partitionColumn));
                Comparable<?> value = StatValues.fromPartitionString(vector.getField().getType(), text);
                for (int i = 0; i < rows; i++) {
                    setPartitionValue(vector, i, value);
                }
            }
            for (FieldVector vector : root.getFieldVectors()) {
                vector.setValueCount(rows);
            }
            root.setRowCount(rows);
            return root;
        } catch (IOException e) {
            root.close();
            throw new UncheckedIOException("reading " + location, e);
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
    }

    /** The logical field's shape under the physical names, which is what the file holds. */
    private static Field renamedTree(Field logical, Field physical) {
        List<Field> children = new ArrayList<>();
        for (int i = 0; i < logical.getChildren().size(); i++) {
            children.add(renamedTree(logical.getChildren().get(i), physical.getChildren().get(i)));
        }
        return new Field(physical.getName(), logical.getFieldType(), children);
    }

    private static void setPartitionValue(FieldVector vector, int row, Comparable<?> value) {
        if (value == null) {
            vector.setNull(row);
            return;
        }
        if (vector instanceof VarCharVector v) {
            v.setSafe(row, ((String) value).getBytes(StandardCharsets.UTF_8));
        } else if (vector instanceof LargeVarCharVector v) {
            v.setSafe(row, ((String) value).getBytes(StandardCharsets.UTF_8));
        } else if (vector instanceof BitVector v) {
            v.setSafe(row, (Boolean) value ? 1 : 0);
        } else if (vector instanceof TinyIntVector v) {
            v.setSafe(row, ((Long) value).byteValue());
        } else if (vector instanceof SmallIntVector v) {
            v.setSafe(row, ((Long) value).shortValue());
        } else if (vector instanceof IntVector v) {
            v.setSafe(row, ((Long) value).intValue());
        } else if (vector instanceof BigIntVector v) {
            v.setSafe(row, (Long) value);
        } else if (vector instanceof DateDayVector v) {
            v.setSafe(row, ((Long) value).intValue());
        } else if (vector instanceof TimeStampVector v) {
            v.setSafe(row, (Long) value);
        } else if (vector instanceof DecimalVector v) {
            v.setSafe(row, (BigDecimal) value);
        } else {
            throw new IllegalStateException("no partition values of " + vector.getField());
        }
    }

    private static void copy(ColumnVector source, int from, FieldVector target, int to) {
        if (source.isNullAt(from)) {
            target.setNull(to);
            return;
        }
        if (target instanceof BitVector v) {
            v.setSafe(to, source.getBoolean(from) ? 1 : 0);
        } else if (target instanceof TinyIntVector v) {
            v.setSafe(to, source.getByte(from));
        } else if (target instanceof SmallIntVector v) {
            v.setSafe(to, source.getShort(from));
        } else if (target instanceof IntVector v) {
            v.setSafe(to, source.getInt(from));
        } else if (target instanceof BigIntVector v) {
            v.setSafe(to, source.getLong(from));
        } else if (target instanceof Float4Vector v) {
            v.setSafe(to, source.getFloat(from));
        } else if (target instanceof Float8Vector v) {
            v.setSafe(to, source.getDouble(from));
        } else if (target instanceof DecimalVector v) {
            v.setSafe(to, source.getDecimal(from));
        } else if (target instanceof VarCharVector v) {
            v.setSafe(to, source.getString(from).getBytes(StandardCharsets.UTF_8));
        } else if (target instanceof LargeVarCharVector v) {
            v.setSafe(to, source.getString(from).getBytes(StandardCharsets.UTF_8));
        } else if (target instanceof VarBinaryVector v) {
            v.setSafe(to, source.getBinary(from));
        } else if (target instanceof LargeVarBinaryVector v) {
            v.setSafe(to, source.getBinary(from));
        } else if (target instanceof FixedSizeBinaryVector v) {
            v.setSafe(to, source.getBinary(from));
        } else if (target instanceof DateDayVector v) {
            v.setSafe(to, source.getInt(from));
        } else if (target instanceof TimeStampVector v) {
            v.setSafe(to, source.getLong(from));
        } else if (target instanceof MapVector v) {
            MapValue map = source.getMap(from);
            StructVector entries = (StructVector) v.getDataVector();
            int offset = v.startNewValue(to);
            for (int i = 0; i < map.getSize(); i++) {
                entries.setIndexDefined(offset + i);
                copy(map.getKeys(), i, (FieldVector) entries.getChildByOrdinal(0), offset + i);
                copy(map.getValues(), i, (FieldVector) entries.getChildByOrdinal(1), offset + i);
            }
            v.endValue(to, map.getSize());
        } else if (target instanceof ListVector v) {
            ArrayValue array = source.getArray(from);
            int offset = v.startNewValue(to);
            for (int i = 0; i < array.getSize(); i++) {
                copy(array.getElements(), i, v.getDataVector(), offset + i);
            }
            v.endValue(to, array.getSize());
        } else if (target instanceof StructVector v) {
            v.setIndexDefined(to);
            List<FieldVector> children = v.getChildrenFromFields();
            for (int c = 0; c < children.size(); c++) {
                copy(source.getChild(c), from, children.get(c), to);
            }
        } else {
            throw new IllegalStateException("cannot read into " + target.getField());
        }
    }

    private static <T> CloseableIterator<T> singleton(T item) {
        return new CloseableIterator<>() {
            private boolean done;

            @Override
            public boolean hasNext() {
                return !done;
            }

            @Override
            public T next() {
                done = true;
                return item;
            }

            @Override
            public void close() {}
        };
    }
}
