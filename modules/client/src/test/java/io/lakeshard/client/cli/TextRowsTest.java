package io.lakeshard.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A bad line names itself and leaves nothing allocated: the CLI reads file after file with one allocator. */
class TextRowsTest {
    private static final Schema SCHEMA = new Schema(List.of(
            new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
            new Field("service", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));

    private final BufferAllocator allocator = new RootAllocator();
    private final TextRows rows = new TextRows(SCHEMA, allocator);

    @AfterEach
    void close() {
        allocator.close();
    }

    @Test
    void csvRowsBecomeOneBatch() {
        rows.csvHeader("service,id");
        try (VectorSchemaRoot batch = rows.csv(List.of("cart,1", ",2"), 2)) {
            assertEquals(2, batch.getRowCount());
            assertEquals(2L, batch.getVector("id").getObject(1));
            assertEquals("cart", batch.getVector("service").getObject(0).toString());
            assertTrue(batch.getVector("service").isNull(1));
        }
        assertEquals(0, allocator.getAllocatedMemory());
    }

    @Test
    void timestampsAcrossDeltasWholeRangeAreRead() {
        Schema schema = new Schema(List.of(new Field("at", FieldType.nullable(new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")), null)));
        TextRows times = new TextRows(schema, allocator);
        times.csvHeader("at");
        try (VectorSchemaRoot batch = times.csv(List.of("0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "1970-01-01T00:00:00.000001Z"), 2)) {
            TimeStampVector at = (TimeStampVector) batch.getVector("at");
            assertEquals(-62_135_596_800_000_000L, at.get(0));
            assertEquals(253_402_300_799_999_999L, at.get(1));
            assertEquals(1L, at.get(2));
        }
    }

    @Test
    void aBadCsvValueNamesItsLineAndColumnAndFreesTheBatch() {
        rows.csvHeader("id,service");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rows.csv(List.of("1,cart", "x,cart"), 2));
        assertTrue(e.getMessage().startsWith("line 3, column 'id': cannot read 'x'"), e.getMessage());
        assertEquals(0, allocator.getAllocatedMemory());
    }

    @Test
    void aShortCsvLineIsRefusedAndFreesTheBatch() {
        rows.csvHeader("id,service");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rows.csv(List.of("1"), 2));
        assertEquals("line 2: 1 values, the header has 2", e.getMessage());
        assertEquals(0, allocator.getAllocatedMemory());
    }

    @Test
    void aBadJsonValueNamesItsLineAndColumnAndFreesTheBatch() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> rows.jsonLines(List.of("{\"id\": 1}", "{\"id\": \"x\"}"), 1));
        assertTrue(e.getMessage().startsWith("line 2, column 'id': cannot read 'x'"), e.getMessage());
        assertEquals(0, allocator.getAllocatedMemory());
    }

    @Test
    void aLineThatIsNotJsonIsRefusedAndFreesTheBatch() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rows.jsonLines(List.of("{oops"), 1));
        assertTrue(e.getMessage().startsWith("not a JSON object per line"), e.getMessage());
        assertEquals(0, allocator.getAllocatedMemory());
    }
}
