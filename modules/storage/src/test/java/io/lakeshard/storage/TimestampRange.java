package io.lakeshard.storage;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Timestamps and dates across the whole range Delta allows (years 1 to 9999), most of them outside the 1677–2262 a
 * signed 64-bit count of nanoseconds can hold. Row i holds the i-th instant in both timestamp columns and its day.
 */
public final class TimestampRange {
    public static final Schema SCHEMA = new Schema(List.of(
            new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
            new Field("ts", FieldType.nullable(new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")), null),
            new Field("ts_local", FieldType.nullable(new ArrowType.Timestamp(TimeUnit.MICROSECOND, null)), null),
            new Field("day", FieldType.nullable(new ArrowType.Date(DateUnit.DAY)), null)));

    public static final List<LocalDateTime> TIMES = List.of(
            LocalDateTime.of(1, 1, 1, 0, 0),
            LocalDateTime.of(1500, 6, 1, 12, 0, 0, 123_456_000),
            LocalDateTime.of(2024, 1, 1, 0, 0),
            LocalDateTime.of(2500, 1, 1, 0, 0, 0, 1_000),
            LocalDateTime.of(9999, 12, 31, 23, 59, 59, 999_000_000));

    public static final List<Long> MICROS = TIMES.stream().map(TimestampRange::micros).toList();

    public static final List<Long> DAYS = TIMES.stream().map(time -> time.toLocalDate().toEpochDay()).toList();

    private TimestampRange() {}

    public static long micros(LocalDateTime time) {
        return Math.addExact(Math.multiplyExact(time.toEpochSecond(ZoneOffset.UTC), 1_000_000L), time.getNano() / 1000);
    }

    /** Rows {@code from} (inclusive) to {@code to} (exclusive) of {@link #TIMES}. */
    public static VectorSchemaRoot batch(BufferAllocator allocator, int from, int to) {
        return batch(allocator, from, TIMES.subList(from, to));
    }

    /** One row per time, ids from {@code firstId}. */
    public static VectorSchemaRoot batch(BufferAllocator allocator, long firstId, List<LocalDateTime> times) {
        VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
        root.allocateNew();
        for (int r = 0; r < times.size(); r++) {
            ((BigIntVector) root.getVector("id")).setSafe(r, firstId + r);
            ((TimeStampMicroTZVector) root.getVector("ts")).setSafe(r, micros(times.get(r)));
            ((TimeStampMicroVector) root.getVector("ts_local")).setSafe(r, micros(times.get(r)));
            ((DateDayVector) root.getVector("day")).setSafe(r, Math.toIntExact(times.get(r).toLocalDate().toEpochDay()));
        }
        root.setRowCount(times.size());
        return root;
    }
}
