package io.lakeshard.storage.internal.schema;

import io.lakeshard.storage.dataset.InvalidInputException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.StructVector;

/**
 * The values Delta's protocol allows for dates and timestamps: years 1 to 9999. Statistics and partition values are
 * written as text in that form, which other readers (Spark, Kernel) parse; a value outside it would make the table
 * unreadable to them, so a write holding one is refused, naming the column.
 */
public final class DeltaRange {
    public static final LocalDate MIN_DATE = LocalDate.of(1, 1, 1);
    public static final LocalDate MAX_DATE = LocalDate.of(9999, 12, 31);
    public static final long MIN_DAY = MIN_DATE.toEpochDay();
    public static final long MAX_DAY = MAX_DATE.toEpochDay();
    public static final long MIN_MICROS = MIN_DATE.atStartOfDay().toEpochSecond(ZoneOffset.UTC) * 1_000_000L;
    public static final long MAX_MICROS = MAX_DATE.atTime(23, 59, 59).toEpochSecond(ZoneOffset.UTC) * 1_000_000L + 999_999L;

    private DeltaRange() {}

    public static boolean containsMicros(long micros) {
        return micros >= MIN_MICROS && micros <= MAX_MICROS;
    }

    /** Checks every date and timestamp of a column, nested ones included; {@code path} names it in the error. */
    public static void requireInRange(String path, FieldVector vector, int count) {
        if (vector instanceof TimeStampVector timestamps) {
            for (int i = 0; i < count; i++) {
                if (!timestamps.isNull(i) && !containsMicros(timestamps.get(i))) {
                    throw outOfRange(path, i, LocalDateTime.ofEpochSecond(Math.floorDiv(timestamps.get(i), 1_000_000L),
                            (int) Math.floorMod(timestamps.get(i), 1_000_000L) * 1000, ZoneOffset.UTC).toString());
                }
            }
        } else if (vector instanceof DateDayVector days) {
            for (int i = 0; i < count; i++) {
                if (!days.isNull(i) && (days.get(i) < MIN_DAY || days.get(i) > MAX_DAY)) {
                    throw outOfRange(path, i, LocalDate.ofEpochDay(days.get(i)).toString());
                }
            }
        } else if (vector instanceof StructVector struct) {
            for (FieldVector child : struct.getChildrenFromFields()) {
                requireInRange(path + "." + child.getName(), child, count);
            }
        } else if (vector instanceof ListVector list) {
            // A map is a list of key-value structs.
            FieldVector data = list.getDataVector();
            requireInRange(path + "[]", data, data.getValueCount());
        }
    }

    private static InvalidInputException outOfRange(String path, int row, String value) {
        return new InvalidInputException(path, "value " + value + " at index " + row + " is outside the range Delta allows, "
                + MIN_DATE + " to " + MAX_DATE);
    }
}
