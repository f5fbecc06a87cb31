package io.lakeshard.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.table.DeltaTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BadInputTest {
    private static final Field ID = new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null);
    private static final Field NAME = new Field("name", FieldType.nullable(ArrowType.Utf8.INSTANCE), null);

    private final BufferAllocator allocator = new RootAllocator();

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        allocator.close();
    }

    @Test
    void unsupportedTypesAreRefusedNamingTheFieldAndType() {
        assertRefused("schema.u", "unsigned", schemaWith(new Field("u", FieldType.nullable(new ArrowType.Int(32, false)), null)));
        assertRefused("schema.h", "HALF", schemaWith(new Field("h", FieldType.nullable(
                new ArrowType.FloatingPoint(FloatingPointPrecision.HALF)), null)));
        assertRefused("schema.t", "Time", schemaWith(new Field("t", FieldType.nullable(new ArrowType.Time(TimeUnit.MILLISECOND, 32)), null)));
        assertRefused("schema.n", "NANOSECOND", schemaWith(new Field("n", FieldType.nullable(
                new ArrowType.Timestamp(TimeUnit.NANOSECOND, "UTC")), null)));
        assertRefused("schema.s.d", "Duration", schemaWith(new Field("s", FieldType.nullable(ArrowType.Struct.INSTANCE),
                List.of(new Field("d", FieldType.nullable(new ArrowType.Duration(TimeUnit.SECOND)), null)))));
    }

    @Test
    void reservedAndDuplicateNamesAreRefused() {
        assertRefused("schema._ls_mine", "reserved", schemaWith(new Field("_ls_mine", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
        assertRefused("schema.ID", "duplicate", schemaWith(new Field("ID", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
        InvalidInputException bad = assertThrows(InvalidInputException.class, () -> DatasetName.parse("Main.x.y"));
        assertEquals("name.catalog", bad.field());
        assertThrows(InvalidInputException.class, () -> DatasetName.parse("a.b"));
    }

    @Test
    void partitionColumnsMustExistAndBePartitionable() {
        InvalidInputException missing = assertThrows(InvalidInputException.class,
                () -> DatasetDefinition.of(new Schema(List.of(ID, NAME)), List.of("region")));
        assertEquals("partition_columns", missing.field());
        assertTrue(missing.getMessage().contains("region"), missing.getMessage());
        Field f = new Field("f", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null);
        InvalidInputException floating = assertThrows(InvalidInputException.class,
                () -> DatasetDefinition.of(new Schema(List.of(ID, f)), List.of("f")));
        assertTrue(floating.getMessage().contains("partition columns must be"), floating.getMessage());
    }

    @Test
    void badBatchesAreRefusedAndLeaveNoFile() throws IOException {
        DeltaTable table = TestTables.create(dir, "strict", DatasetDefinition.of(new Schema(List.of(ID, NAME)), List.of()));
        Schema wrongType = new Schema(List.of(new Field("id", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null), NAME));
        try (VectorSchemaRoot batch = VectorSchemaRoot.create(wrongType, allocator)) {
            ((VarCharVector) batch.getVector("id")).setSafe(0, "1".getBytes(UTF_8));
            batch.setRowCount(1);
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> TestTables.write(table, allocator, batch));
            assertEquals("batch.id", e.field());
            assertTrue(e.getMessage().contains("expected type Int(64, true)"), e.getMessage());
        }
        Schema extra = new Schema(List.of(ID, NAME, new Field("other", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
        try (VectorSchemaRoot batch = VectorSchemaRoot.create(extra, allocator)) {
            ((BigIntVector) batch.getVector("id")).setSafe(0, 1);
            batch.setRowCount(1);
            assertEquals("batch.other", assertThrows(InvalidInputException.class, () -> TestTables.write(table, allocator, batch)).field());
        }
        try (VectorSchemaRoot batch = VectorSchemaRoot.create(new Schema(List.of(ID, NAME)), allocator)) {
            ((BigIntVector) batch.getVector("id")).setSafe(0, 1);
            batch.getVector("id").setNull(1);
            ((VarCharVector) batch.getVector("name")).setSafe(0, "a".getBytes(UTF_8));
            batch.setRowCount(2);
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> TestTables.write(table, allocator, batch));
            assertTrue(e.getMessage().contains("index 1 is null"), e.getMessage());
        }
        try (VectorSchemaRoot batch = VectorSchemaRoot.create(new Schema(List.of(NAME)), allocator)) {
            batch.setRowCount(1);
            assertTrue(assertThrows(InvalidInputException.class, () -> TestTables.write(table, allocator, batch))
                    .getMessage().contains("not nullable"));
        }
        try (Stream<Path> files = Files.walk(Path.of(table.root()))) {
            assertTrue(files.filter(Files::isRegularFile).allMatch(p -> p.toString().contains("_delta_log")),
                    "refused batches wrote no data file");
        }
        assertEquals(0, table.snapshot().files().size());
    }

    private static Schema schemaWith(Field field) {
        return new Schema(List.of(ID, field));
    }

    private static void assertRefused(String field, String messagePart, Schema schema) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> DatasetDefinition.of(schema, List.of()));
        assertEquals(field, e.field());
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    }
}
