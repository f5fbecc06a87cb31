package io.lakeshard.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.UInt8Vector;
import org.apache.arrow.vector.VariableWidthFieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What pyarrow and pandas send by default is written when it converts to the dataset's types without loss, and read
 * back as the same values; a lossy conversion is refused naming the column and the conversion.
 */
class TypeConversionTest {
    private static final Field ID = new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null);
    private static final ArrowType UTC_MICROS = new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC");
    private static final long INSTANT_MICROS = 1_700_000_000_123_456L;

    private final BufferAllocator allocator = new RootAllocator();
    private int tables;

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        allocator.close();
    }

    @Test
    void stringsOfEveryWidthAreWrittenAsTheColumnsStrings() {
        String[] values = {"a", null, "a string longer than twelve bytes, ü"};
        for (ArrowType given : List.of(ArrowType.LargeUtf8.INSTANCE, ArrowType.Utf8View.INSTANCE)) {
            assertEquals(Arrays.asList(values), written(ArrowType.Utf8.INSTANCE, given, strings(values)), given.toString());
        }
        assertEquals(Arrays.asList(values), written(ArrowType.LargeUtf8.INSTANCE, ArrowType.Utf8.INSTANCE, strings(values)));
    }

    @Test
    void largeAndViewBinariesAreWrittenAsBinary() {
        for (ArrowType given : List.of(ArrowType.LargeBinary.INSTANCE, ArrowType.BinaryView.INSTANCE)) {
            List<Object> read = written(ArrowType.Binary.INSTANCE, given, v -> {
                ((VariableWidthFieldVector) v).setSafe(0, new byte[] {0, 1});
                v.setNull(1);
                ((VariableWidthFieldVector) v).setSafe(2, "a binary value longer than twelve".getBytes(StandardCharsets.UTF_8));
            });
            assertEquals(Arrays.asList("0001", null, "612062696e6172792076616c7565206c6f6e676572207468616e207477656c7665"),
                    read, given.toString());
        }
    }

    @Test
    void integersConvertWhenEveryValueFits() {
        ArrowType int64 = new ArrowType.Int(64, true);
        assertEquals(Arrays.asList(-5L, null, 2_000_000_000L), written(int64, new ArrowType.Int(32, true), ints(-5, null, 2_000_000_000L)));
        assertEquals(Arrays.asList(-5L, null, 7L), written(int64, new ArrowType.Int(8, true), ints(-5, null, 7)));
        assertEquals(Arrays.asList(0L, null, 4_000_000_000L), written(int64, new ArrowType.Int(32, false), ints(0, null, 4_000_000_000L)));
        assertEquals(Arrays.asList(1L, null, 42L), written(int64, new ArrowType.Int(64, false), ints(1, null, 42)));
        // pandas' default int64 into an int32 column: every value fits.
        assertEquals(Arrays.asList(-5, null, 70_000), written(new ArrowType.Int(32, true), int64, ints(-5, null, 70_000)));
    }

    @Test
    void integersThatDoNotFitAreRefusedNamingTheValueAndRow() {
        InvalidInputException narrow = refused(new ArrowType.Int(32, true), new ArrowType.Int(64, true), ints(1, 3_000_000_000L, null));
        assertMessage(narrow, "cannot convert Int(64, true) to Int(32, true)", "value 3000000000 at row 1 does not fit");
        InvalidInputException unsigned = refused(new ArrowType.Int(64, true), new ArrowType.Int(64, false), v -> {
            ((UInt8Vector) v).set(0, -1L);
            v.setNull(1);
            v.setNull(2);
        });
        assertMessage(unsigned, "Int(64, false) to Int(64, true)", "value 18446744073709551615 at row 0");
    }

    @Test
    void float32IsWrittenAsFloat64() {
        ArrowType float32 = new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
        List<Object> read = written(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE), float32, v -> {
            ((Float4Vector) v).set(0, 0.5f);
            v.setNull(1);
            ((Float4Vector) v).set(2, 1.1f);
        });
        assertEquals(Arrays.asList(0.5, null, (double) 1.1f), read);
        InvalidInputException narrowing = refused(float32, new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE), v -> {
            ((Float8Vector) v).set(0, 0.1);
            v.setNull(1);
            v.setNull(2);
        });
        assertMessage(narrowing, "no lossless conversion from FloatingPoint(DOUBLE) to FloatingPoint(SINGLE)");
    }

    @Test
    void timestampsOfAnyUnitAreWrittenAsMicrosecondsWhenWhole() {
        Long[] expected = {INSTANT_MICROS / 1_000_000 * 1_000_000, null, INSTANT_MICROS / 1_000 * 1_000};
        assertEquals(Arrays.asList(expected[0], null, INSTANT_MICROS),
                written(UTC_MICROS, timestamp(TimeUnit.NANOSECOND, "UTC"), longs(expected[0] * 1000, null, INSTANT_MICROS * 1000)));
        assertEquals(Arrays.asList(expected),
                written(UTC_MICROS, timestamp(TimeUnit.MILLISECOND, "UTC"), longs(expected[0] / 1000, null, INSTANT_MICROS / 1000)));
        assertEquals(Arrays.asList(expected[0], null, expected[0]),
                written(UTC_MICROS, timestamp(TimeUnit.SECOND, "UTC"), longs(expected[0] / 1_000_000, null, expected[0] / 1_000_000)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"+00:00", "Z", "Etc/UTC", "GMT", "UTC", "+02:00", "America/New_York"})
    void zonedTimestampsAreTheSameInstantsInAUtcColumn(String zone) {
        // A zoned Arrow timestamp stores UTC instants; the zone only says how to show them.
        assertEquals(Arrays.asList(INSTANT_MICROS, null, 0L),
                written(UTC_MICROS, timestamp(TimeUnit.MICROSECOND, zone), longs(INSTANT_MICROS, null, 0L)));
    }

    @Test
    void lossyOrAmbiguousTimestampsAreRefused() {
        InvalidInputException fraction = refused(UTC_MICROS, timestamp(TimeUnit.NANOSECOND, "UTC"),
                longs(INSTANT_MICROS * 1000, INSTANT_MICROS * 1000 + 1, null));
        assertMessage(fraction, "cannot convert Timestamp(NANOSECOND, UTC) to Timestamp(MICROSECOND, UTC)",
                "value 1700000000123456001 at row 1 is not a whole number of microseconds");
        assertMessage(refused(UTC_MICROS, timestamp(TimeUnit.NANOSECOND, null), longs(0L, null, null)),
                "Timestamp(NANOSECOND, null) to Timestamp(MICROSECOND, UTC)", "without a time zone");
        assertMessage(refused(new ArrowType.Timestamp(TimeUnit.MICROSECOND, null), timestamp(TimeUnit.MICROSECOND, "UTC"),
                longs(0L, null, null)), "Timestamp(MICROSECOND, UTC) to Timestamp(MICROSECOND, null)", "without a zone");
        assertMessage(refused(UTC_MICROS, timestamp(TimeUnit.MICROSECOND, "Mars/Olympus"), longs(0L, null, null)),
                "unknown time zone 'Mars/Olympus'");
        assertMessage(refused(UTC_MICROS, timestamp(TimeUnit.SECOND, "UTC"), longs(Long.MAX_VALUE / 10, null, null)),
                "at row 0 is out of the microsecond range");
    }

    @Test
    void decimalsConvertToTheColumnsScaleWithoutRounding() {
        ArrowType column = new ArrowType.Decimal(10, 2, 128);
        assertEquals(Arrays.asList(new BigDecimal("1.20"), null, new BigDecimal("-9999.90")),
                written(column, new ArrowType.Decimal(5, 1, 128), decimals("1.2", null, "-9999.9")));
        assertMessage(refused(column, new ArrowType.Decimal(6, 3, 128), decimals("1.234", null, null)),
                "Decimal(6, 3, 128) to Decimal(10, 2, 128)", "value 1.234 at row 0 needs rounding");
    }

    @Test
    void otherTypesAndNestedDifferencesAreRefusedNamingTheColumn() {
        InvalidInputException strings = refused(new ArrowType.Int(64, true), ArrowType.Utf8.INSTANCE, strings("1", null, null));
        assertMessage(strings, "expected type Int(64, true), got Utf8", "no lossless conversion from Utf8 to Int(64, true)");

        Field want = new Field("c", FieldType.nullable(ArrowType.List.INSTANCE),
                List.of(new Field("element", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
        Field given = new Field("c", FieldType.nullable(ArrowType.List.INSTANCE),
                List.of(new Field("element", FieldType.nullable(ArrowType.LargeUtf8.INSTANCE), null)));
        DeltaTable table = table(want);
        try (VectorSchemaRoot batch = batch(given, v -> {
            ((ListVector) v).startNewValue(0);
            ((ListVector) v).endValue(0, 0);
        })) {
            InvalidInputException nested = assertThrows(InvalidInputException.class, () -> TestTables.write(table, allocator, batch));
            assertEquals("batch.c.element", nested.field());
            assertMessage(nested, "expected type Utf8, got LargeUtf8", "nested columns must have exactly the dataset's types");
        }
    }

    /** Writes ids 0..2 and the column {@code c} as {@code given}, into a table where it is {@code want}; c read back. */
    private List<Object> written(ArrowType want, ArrowType given, Consumer<FieldVector> fill) {
        DeltaTable table = table(column(want));
        try (VectorSchemaRoot batch = batch(column(given), fill)) {
            TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", 1));
        }
        return TestTables.readAll(table, table.snapshot(), allocator).stream()
                .sorted(Comparator.comparing(row -> (Long) row.get("id")))
                .map(row -> row.get("c"))
                .toList();
    }

    private InvalidInputException refused(ArrowType want, ArrowType given, Consumer<FieldVector> fill) {
        DeltaTable table = table(column(want));
        try (VectorSchemaRoot batch = batch(column(given), fill)) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> TestTables.write(table, allocator, batch));
            assertEquals("batch.c", e.field());
            return e;
        }
    }

    private DeltaTable table(Field c) {
        return TestTables.create(dir, "t" + tables++, DatasetDefinition.of(new Schema(List.of(ID, c)), List.of()));
    }

    private VectorSchemaRoot batch(Field c, Consumer<FieldVector> fill) {
        VectorSchemaRoot batch = VectorSchemaRoot.create(new Schema(List.of(ID, c)), allocator);
        batch.allocateNew();
        for (int i = 0; i < 3; i++) {
            ((BigIntVector) batch.getVector("id")).set(i, i);
        }
        fill.accept(batch.getVector("c"));
        batch.setRowCount(3);
        return batch;
    }

    private static Field column(ArrowType type) {
        return new Field("c", FieldType.nullable(type), null);
    }

    private static ArrowType timestamp(TimeUnit unit, String zone) {
        return new ArrowType.Timestamp(unit, zone);
    }

    private static Consumer<FieldVector> strings(String... values) {
        return v -> {
            for (int i = 0; i < values.length; i++) {
                if (values[i] == null) {
                    v.setNull(i);
                } else {
                    ((VariableWidthFieldVector) v).setSafe(i, values[i].getBytes(StandardCharsets.UTF_8));
                }
            }
        };
    }

    private static Consumer<FieldVector> ints(Number... values) {
        return v -> {
            for (int i = 0; i < values.length; i++) {
                if (values[i] == null) {
                    v.setNull(i);
                } else {
                    ((BaseIntVector) v).setWithPossibleTruncate(i, values[i].longValue());
                }
            }
        };
    }

    private static Consumer<FieldVector> longs(Long... values) {
        return v -> {
            for (int i = 0; i < values.length; i++) {
                if (values[i] == null) {
                    v.setNull(i);
                } else {
                    ((TimeStampVector) v).set(i, values[i]);
                }
            }
        };
    }

    private static Consumer<FieldVector> decimals(String... values) {
        return v -> {
            for (int i = 0; i < values.length; i++) {
                if (values[i] == null) {
                    v.setNull(i);
                } else {
                    ((DecimalVector) v).set(i, new BigDecimal(values[i]));
                }
            }
        };
    }

    private static void assertMessage(InvalidInputException e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
        }
    }
}
