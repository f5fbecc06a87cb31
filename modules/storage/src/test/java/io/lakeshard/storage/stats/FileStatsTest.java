package io.lakeshard.storage.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.storage.stats.FileStats.ColumnStats;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** The statistics a writer (ours, Spark's) puts in the log, read into the canonical values planning compares. */
class FileStatsTest {
    private static final Schema SCHEMA = new Schema(List.of(
            Field.nullable("id", new ArrowType.Int(64, true)),
            Field.nullable("name", ArrowType.Utf8.INSTANCE),
            Field.nullable("score", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
            Field.nullable("price", new ArrowType.Decimal(12, 2, 128)),
            Field.nullable("day", new ArrowType.Date(DateUnit.DAY)),
            Field.nullable("at", new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")),
            Field.nullable("ok", ArrowType.Bool.INSTANCE),
            new Field("point", FieldType.nullable(ArrowType.Struct.INSTANCE),
                    List.of(Field.nullable("x", new ArrowType.Int(32, true))))));

    @Test
    void everyOrderableTypeIsReadAndNestedColumnsAreLeftOut() {
        String json = """
                {"numRecords":3,"minValues":{"id":-5,"name":"a\\u00e9","score":0.5,"price":12.30,"day":"2026-12-01",
                "at":"2026-12-01T20:35:30.123Z","point":{"x":1}},"maxValues":{"id":9,"name":"zz","score":1.0E3,
                "price":99.99,"day":"2026-12-02","at":"2026-12-02T01:00:00.000+01:00","ok":true,"point":{"x":4}},
                "nullCount":{"id":0,"name":1,"score":0,"price":0,"day":0,"at":0,"ok":3,"point":{"x":0}},
                "tightBounds":true}""";
        FileStats stats = FileStats.parse(json, SCHEMA, Map.of());

        assertEquals(3, stats.numRecords());
        assertEquals(new ColumnStats(-5L, 9L, 0), stats.column("id").orElseThrow());
        assertEquals(new ColumnStats("aé", "zz", 1), stats.column("name").orElseThrow());
        assertEquals(new ColumnStats(0.5, 1000.0, 0), stats.column("score").orElseThrow());
        assertEquals(0, new BigDecimal("12.30").compareTo((BigDecimal) stats.column("price").orElseThrow().min()));
        assertEquals(new BigDecimal("99.99"), stats.column("price").orElseThrow().max());
        assertEquals(new ColumnStats(LocalDate.of(2026, 12, 1).toEpochDay(), LocalDate.of(2026, 12, 2).toEpochDay(), 0),
                stats.column("day").orElseThrow());
        assertEquals(new ColumnStats(StatValues.micros(Instant.parse("2026-12-01T20:35:30.123Z")),
                StatValues.micros(Instant.parse("2026-12-02T00:00:00Z")), 0), stats.column("at").orElseThrow());
        assertEquals(new ColumnStats(null, null, 3), stats.column("ok").orElseThrow(), "a boolean's bounds are not kept, as Delta's");
        assertFalse(stats.column("point").isPresent(), "a struct has no bounds and its own null count is unknown");
    }

    @Test
    void physicalNamesAreTheKeysAndNullsOrMissingSectionsMeanUnknown() {
        Map<String, String> physical = Map.of("id", "col-1a2b", "name", "col-3c4d");
        FileStats stats = FileStats.parse("{\"numRecords\":7,\"minValues\":{\"col-1a2b\":1,\"id\":100,\"col-3c4d\":null},"
                + "\"maxValues\":{\"col-1a2b\":2}}", SCHEMA, physical);

        assertEquals(7, stats.numRecords());
        assertEquals(new ColumnStats(1L, 2L, -1), stats.column("id").orElseThrow(), "keyed by the physical name, not the logical");
        assertFalse(stats.column("name").isPresent());
        assertEquals(new FileStats(-1, Map.of()), FileStats.parse(null, SCHEMA, Map.of()));
        assertEquals(-1, FileStats.parse("{\"minValues\":{}}", SCHEMA, Map.of()).numRecords());
    }

    @Test
    void oddButWellFormedStatisticsReadAsAJsonObjectMeansThem() {
        FileStats stats = FileStats.parse("{\"numRecords\":{\"a\":[1,2]},\"minValues\":{\"id\":3,\"name\":\"b\",\"name\":null},"
                + "\"maxValues\":{\"id\":4},\"nullCount\":{\"id\":\"0\"}}", SCHEMA, Map.of());
        assertEquals(-1, stats.numRecords(), "a count that is not a number is unknown");
        assertEquals(new ColumnStats(3L, 4L, -1), stats.column("id").orElseThrow(), "and the sections after it are still read");
        assertFalse(stats.column("name").isPresent(), "a key given twice counts as its last value");
        assertEquals(7, FileStats.parse("{\"numRecords\":\"7\"}", SCHEMA, Map.of()).numRecords());
    }

    @Test
    void malformedStatisticsAreRefusedNamingThem() {
        for (String json : List.of("[1,2]", "{\"numRecords\":3,\"minValues\":{\"id\":", "{\"numRecords\" 3}",
                "{\"minValues\":{\"day\":\"yesterday\"}}", "{\"minValues\":{\"price\":\"ten\"}}")) {
            UncheckedIOException refused = assertThrows(UncheckedIOException.class, () -> FileStats.parse(json, SCHEMA, Map.of()));
            assertTrue(refused.getMessage().contains(json), refused.getMessage());
        }
    }
}
