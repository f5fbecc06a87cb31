package io.lakeshard.arrow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.IntervalUnit;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.Test;

class DuckDbTypesTest {
    @Test
    void scalarTypes() {
        assertEquals("BOOLEAN", sql(ArrowType.Bool.INSTANCE));
        assertEquals("TINYINT", sql(new ArrowType.Int(8, true)));
        assertEquals("SMALLINT", sql(new ArrowType.Int(16, true)));
        assertEquals("INTEGER", sql(new ArrowType.Int(32, true)));
        assertEquals("BIGINT", sql(new ArrowType.Int(64, true)));
        assertEquals("FLOAT", sql(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)));
        assertEquals("DOUBLE", sql(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)));
        assertEquals("DECIMAL(18,3)", sql(new ArrowType.Decimal(18, 3, 128)));
        assertEquals("VARCHAR", sql(ArrowType.Utf8.INSTANCE));
        assertEquals("VARCHAR", sql(ArrowType.LargeUtf8.INSTANCE));
        assertEquals("BLOB", sql(ArrowType.Binary.INSTANCE));
        assertEquals("BLOB", sql(new ArrowType.FixedSizeBinary(16)));
        assertEquals("DATE", sql(new ArrowType.Date(DateUnit.DAY)));
        assertEquals("TIMESTAMP", sql(new ArrowType.Timestamp(TimeUnit.MICROSECOND, null)));
        assertEquals("TIMESTAMPTZ", sql(new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")));
    }

    @Test
    void nestedTypes() {
        Field list = new Field("tags", FieldType.nullable(ArrowType.List.INSTANCE),
                List.of(field("element", ArrowType.Utf8.INSTANCE)));
        Field struct = new Field("resource", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(
                field("host", ArrowType.Utf8.INSTANCE), field("say \"hi\"", new ArrowType.Int(32, true)), list));
        Field map = new Field("attributes", FieldType.nullable(new ArrowType.Map(false)), List.of(
                new Field("entries", FieldType.notNullable(ArrowType.Struct.INSTANCE), List.of(
                        field("key", ArrowType.Utf8.INSTANCE), list))));

        assertEquals("VARCHAR[]", DuckDbTypes.sqlType(list));
        assertEquals("STRUCT(\"host\" VARCHAR, \"say \"\"hi\"\"\" INTEGER, \"tags\" VARCHAR[])", DuckDbTypes.sqlType(struct));
        assertEquals("MAP(VARCHAR, VARCHAR[])", DuckDbTypes.sqlType(map));
    }

    @Test
    void aTypeNoDatasetHoldsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> sql(new ArrowType.Interval(IntervalUnit.DAY_TIME)));
    }

    private static String sql(ArrowType type) {
        return DuckDbTypes.sqlType(field("c", type));
    }

    private static Field field(String name, ArrowType type) {
        return new Field(name, FieldType.nullable(type), null);
    }
}
