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
import java.util.Map;
import java.util.TreeMap;
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
import org.apache.arrow.vector.complex.MapVector;
import org.apache.arrow.vector.complex.StructVector;
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
    void otherTypesAreRefusedNamingTheColumn() {
        InvalidInputException strings = refused(new ArrowType.Int(64, true), ArrowType.Utf8.INSTANCE, strings("1", null, null));
        assertMessage(strings, "expected type Int(64, true), got Utf8", "no lossless conversion from Utf8 to Int(64, true)");
        InvalidInputException largeList = refused(list(ArrowType.Utf8.INSTANCE),
                new Field("c", FieldType.nullable(ArrowType.LargeList.INSTANCE), List.of(element(ArrowType.Utf8.INSTANCE))),
                v -> v.setNull(0), "batch.c");
        assertMessage(largeList, "no lossless conversion from LargeList to List");
    }

    @Test
    void listsStructsAndMapsConvertTheirFields() {
        // pyarrow's list<large_string> into list<string>: rows ["a", "b"], null, [].
        List<Object> lists = written(list(ArrowType.Utf8.INSTANCE), list(ArrowType.LargeUtf8.INSTANCE), v -> {
            ListVector list = (ListVector) v;
            int at = list.startNewValue(0);
            ((VariableWidthFieldVector) list.getDataVector()).setSafe(at, "a".getBytes(StandardCharsets.UTF_8));
            ((VariableWidthFieldVector) list.getDataVector()).setSafe(at + 1, "b".getBytes(StandardCharsets.UTF_8));
            list.endValue(0, 2);
            list.setNull(1);
            list.startNewValue(2);
            list.endValue(2, 0);
            list.getDataVector().setValueCount(2);
        });
        assertEquals(Arrays.asList(List.of("a", "b"), null, List.of()), lists);

        Field want = struct(new ArrowType.Int(64, true), UTC_MICROS);
        Field given = struct(new ArrowType.Int(32, true), timestamp(TimeUnit.NANOSECOND, "Etc/UTC"));
        List<Object> structs = written(want, given, v -> {
            StructVector struct = (StructVector) v;
            ((BaseIntVector) struct.getChild("n")).setWithPossibleTruncate(0, 7);
            ((TimeStampVector) struct.getChild("t")).set(0, INSTANT_MICROS * 1000);
            struct.setIndexDefined(0);
            struct.setNull(1);
            struct.getChild("n").setNull(2);
            ((TimeStampVector) struct.getChild("t")).set(2, 0);
            struct.setIndexDefined(2);
        });
        Map<String, Object> first = new TreeMap<>(Map.of("n", 7L, "t", INSTANT_MICROS));
        Map<String, Object> third = new TreeMap<>(Map.of("t", 0L));
        assertEquals(Arrays.asList(first, null, third), structs);

        List<Object> maps = written(map(new ArrowType.Int(64, true)), map(new ArrowType.Int(32, true)), v -> {
            MapVector map = (MapVector) v;
            StructVector entries = (StructVector) map.getDataVector();
            int at = map.startNewValue(0);
            ((VariableWidthFieldVector) entries.getChild("key")).setSafe(at, "k".getBytes(StandardCharsets.UTF_8));
            ((BaseIntVector) entries.getChild("value")).setWithPossibleTruncate(at, -3);
            entries.setIndexDefined(at);
            map.endValue(0, 1);
            map.setNull(1);
            map.setNull(2);
            entries.setValueCount(1);
        });
        assertEquals(Arrays.asList(List.of(new TreeMap<>(Map.of("key", "k", "value", -3L))), null, null), maps);
    }

    @Test
    void aLossyFieldInsideANestedColumnIsRefusedByItsPath() {
        InvalidInputException e = refused(list(UTC_MICROS), list(timestamp(TimeUnit.NANOSECOND, "UTC")), v -> {
            ListVector list = (ListVector) v;
            int at = list.startNewValue(0);
            ((TimeStampVector) list.getDataVector()).set(at, INSTANT_MICROS * 1000);
            ((TimeStampVector) list.getDataVector()).set(at + 1, 1);
            list.endValue(0, 2);
            list.setNull(1);
            list.setNull(2);
            list.getDataVector().setValueCount(2);
        }, "batch.c[]");
        assertMessage(e, "cannot convert Timestamp(NANOSECOND, UTC) to Timestamp(MICROSECOND, UTC)", "value 1 at row 1");
        InvalidInputException name = refused(struct(new ArrowType.Int(64, true), UTC_MICROS),
                new Field("c", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(
                        new Field("m", FieldType.nullable(new ArrowType.Int(32, true)), null),
                        new Field("t", FieldType.nullable(UTC_MICROS), null))),
                v -> v.setNull(0), "batch.c");
        assertMessage(name, "expected field 'n' at position 0, got 'm'");
    }

    private List<Object> written(ArrowType want, ArrowType given, Consumer<FieldVector> fill) {
        return written(column(want), column(given), fill);
    }

    /** Writes ids 0..2 and the column {@code c} as {@code given}, into a table where it is {@code want}; c read back. */
    private List<Object> written(Field want, Field given, Consumer<FieldVector> fill) {
        DeltaTable table = table(want);
        try (VectorSchemaRoot batch = batch(given, fill)) {
            TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", 1));
        }
        return TestTables.readAll(table, table.snapshot(), allocator).stream()
                .sorted(Comparator.comparing(row -> (Long) row.get("id")))
                .map(row -> row.get("c"))
                .toList();
    }

    private InvalidInputException refused(ArrowType want, ArrowType given, Consumer<FieldVector> fill) {
        return refused(column(want), column(given), fill, "batch.c");
    }

    private InvalidInputException refused(Field want, Field given, Consumer<FieldVector> fill, String field) {
        DeltaTable table = table(want);
        try (VectorSchemaRoot batch = batch(given, fill)) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> TestTables.write(table, allocator, batch));
            assertEquals(field, e.field());
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

    private static Field element(ArrowType type) {
        return new Field("element", FieldType.nullable(type), null);
    }

    private static Field list(ArrowType element) {
        return new Field("c", FieldType.nullable(ArrowType.List.INSTANCE), List.of(element(element)));
    }

    private static Field struct(ArrowType n, ArrowType t) {
        return new Field("c", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(
                new Field("n", FieldType.nullable(n), null), new Field("t", FieldType.nullable(t), null)));
    }

    private static Field map(ArrowType value) {
        return new Field("c", FieldType.nullable(new ArrowType.Map(false)), List.of(
                new Field("entries", FieldType.notNullable(ArrowType.Struct.INSTANCE), List.of(
                        new Field("key", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null),
                        new Field("value", FieldType.nullable(value), null)))));
    }

    private static ArrowType timestamp(TimeUnit unit, String zone) {
        return new ArrowType.Timestamp(unit, zone);
    }

    private static Consumer<FieldVector> strings(String... values) {
        return values((v, i, value) -> ((VariableWidthFieldVector) v).setSafe(i, value.getBytes(StandardCharsets.UTF_8)), values);
    }

    private static Consumer<FieldVector> ints(Number... values) {
        return values((v, i, value) -> ((BaseIntVector) v).setWithPossibleTruncate(i, value.longValue()), values);
    }

    private static Consumer<FieldVector> longs(Long... values) {
        return values((v, i, value) -> ((TimeStampVector) v).set(i, value), values);
    }

    private static Consumer<FieldVector> decimals(String... values) {
        return values((v, i, value) -> ((DecimalVector) v).set(i, new BigDecimal(value)), values);
    }

    private interface Setter<T> {
        void set(FieldVector vector, int row, T value);
    }

    /** Row i is {@code values[i]}, or null. */
    @SafeVarargs
    private static <T> Consumer<FieldVector> values(Setter<T> setter, T... values) {
        return v -> {
            for (int i = 0; i < values.length; i++) {
                if (values[i] == null) {
                    v.setNull(i);
                } else {
                    setter.set(v, i, values[i]);
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
