package io.lakeshard.storage;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.MapVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/** A schema with every supported type, and batches of it with nulls in every nullable column. */
public final class AllTypes {
    public static final Schema SCHEMA = new Schema(List.of(
            new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
            nullable("region", ArrowType.Utf8.INSTANCE),
            nullable("flag", ArrowType.Bool.INSTANCE),
            nullable("i8", new ArrowType.Int(8, true)),
            nullable("i16", new ArrowType.Int(16, true)),
            nullable("i32", new ArrowType.Int(32, true)),
            nullable("f32", new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)),
            nullable("f64", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
            nullable("dec_small", new ArrowType.Decimal(9, 2, 128)),
            nullable("dec_mid", new ArrowType.Decimal(18, 4, 128)),
            nullable("dec_big", new ArrowType.Decimal(30, 6, 128)),
            nullable("text_large", ArrowType.LargeUtf8.INSTANCE),
            nullable("bytes", ArrowType.Binary.INSTANCE),
            nullable("fixed", new ArrowType.FixedSizeBinary(4)),
            nullable("day", new ArrowType.Date(DateUnit.DAY)),
            nullable("ts", new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")),
            nullable("ts_local", new ArrowType.Timestamp(TimeUnit.MICROSECOND, null)),
            new Field("numbers", FieldType.nullable(ArrowType.List.INSTANCE),
                    List.of(nullable("element", new ArrowType.Int(32, true)))),
            new Field("point", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(
                    nullable("x", new ArrowType.Int(32, true)),
                    nullable("label", ArrowType.Utf8.INSTANCE))),
            new Field("attrs", FieldType.nullable(new ArrowType.Map(false)), List.of(
                    new Field("entries", FieldType.notNullable(ArrowType.Struct.INSTANCE), List.of(
                            new Field("key", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null),
                            nullable("value", new ArrowType.Int(64, true)))))),
            nullable("trace_id", ArrowType.Utf8.INSTANCE)));

    private AllTypes() {}

    private static Field nullable(String name, ArrowType type) {
        return new Field(name, FieldType.nullable(type), null);
    }

    /** Rows {@code first .. first+count-1}; row i is null in every nullable column when i % 7 == 3. */
    public static VectorSchemaRoot batch(BufferAllocator allocator, long first, int count) {
        VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
        root.allocateNew();
        for (int r = 0; r < count; r++) {
            long id = first + r;
            ((BigIntVector) root.getVector("id")).setSafe(r, id);
            boolean nulls = id % 7 == 3;
            if (nulls) {
                int row = r;
                root.getFieldVectors().stream().filter(v -> !v.getName().equals("id")).forEach(v -> v.setNull(row));
                continue;
            }
            ((VarCharVector) root.getVector("region")).setSafe(r, utf8(new String[] {"eu", "us", "ap"}[(int) (id % 3)]));
            ((BitVector) root.getVector("flag")).setSafe(r, id % 2 == 0 ? 1 : 0);
            ((TinyIntVector) root.getVector("i8")).setSafe(r, (byte) (id % 120 - 60));
            ((SmallIntVector) root.getVector("i16")).setSafe(r, (short) (id * 3 - 500));
            ((IntVector) root.getVector("i32")).setSafe(r, (int) (id * 1000 - 7));
            ((Float4Vector) root.getVector("f32")).setSafe(r, id / 4.0f);
            ((Float8Vector) root.getVector("f64")).setSafe(r, -id / 3.0);
            ((DecimalVector) root.getVector("dec_small")).setSafe(r, BigDecimal.valueOf(id * 101 - 5000, 2));
            ((DecimalVector) root.getVector("dec_mid")).setSafe(r, BigDecimal.valueOf(id * 123_456_789L, 4));
            ((DecimalVector) root.getVector("dec_big")).setSafe(r,
                    new BigDecimal("-123456789012345678." + String.format("%06d", id % 1_000_000)));
            ((LargeVarCharVector) root.getVector("text_large")).setSafe(r, utf8("tëxt-" + id + "-" + "x".repeat((int) (id % 40))));
            ((VarBinaryVector) root.getVector("bytes")).setSafe(r, new byte[] {(byte) id, 0, (byte) 0xFF});
            ((FixedSizeBinaryVector) root.getVector("fixed")).setSafe(r, new byte[] {1, 2, 3, (byte) id});
            ((DateDayVector) root.getVector("day")).setSafe(r, (int) (19_700 + id % 5));
            ((TimeStampMicroTZVector) root.getVector("ts")).setSafe(r, 1_700_000_000_000_000L + id * 1_234_567L);
            ((TimeStampMicroVector) root.getVector("ts_local")).setSafe(r, 1_600_000_000_000_001L + id);
            ListVector numbers = (ListVector) root.getVector("numbers");
            int offset = numbers.startNewValue(r);
            IntVector elements = (IntVector) numbers.getDataVector();
            for (int e = 0; e < id % 4; e++) {
                if (e == 1) {
                    elements.setNull(offset + e);
                } else {
                    elements.setSafe(offset + e, (int) id + e);
                }
            }
            numbers.endValue(r, (int) (id % 4));
            StructVector point = (StructVector) root.getVector("point");
            point.setIndexDefined(r);
            ((IntVector) point.getChild("x")).setSafe(r, (int) id);
            if (id % 5 == 0) {
                point.getChild("label").setNull(r);
            } else {
                ((VarCharVector) point.getChild("label")).setSafe(r, utf8("p" + id));
            }
            MapVector attrs = (MapVector) root.getVector("attrs");
            int start = attrs.startNewValue(r);
            StructVector entries = (StructVector) attrs.getDataVector();
            for (int e = 0; e < 2; e++) {
                entries.setIndexDefined(start + e);
                ((VarCharVector) entries.getChild("key")).setSafe(start + e, utf8("k" + e));
                if (e == 1 && id % 2 == 0) {
                    entries.getChild("value").setNull(start + e);
                } else {
                    ((BigIntVector) entries.getChild("value")).setSafe(start + e, id * 10 + e);
                }
            }
            attrs.endValue(r, 2);
            ((VarCharVector) root.getVector("trace_id")).setSafe(r, utf8(String.format("%032x", id * 7919)));
        }
        root.setRowCount(count);
        return root;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
