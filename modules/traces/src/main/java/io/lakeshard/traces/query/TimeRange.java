package io.lakeshard.traces.query;

import io.lakeshard.storage.dataset.InvalidInputException;
import java.time.Duration;
import java.time.Instant;

/** Span start times in [{@code startUnixNano}, {@code endUnixNano}), nanoseconds since the epoch. */
public record TimeRange(long startUnixNano, long endUnixNano) {
    public TimeRange {
        check(startUnixNano, endUnixNano, "time_range");
    }

    /** A range from a request, an error naming {@code field} if it is not one. */
    public static TimeRange of(long startUnixNano, long endUnixNano, String field) {
        check(startUnixNano, endUnixNano, field);
        return new TimeRange(startUnixNano, endUnixNano);
    }

    private static void check(long startUnixNano, long endUnixNano, String field) {
        // Not before 1970, which also keeps the length from overflowing.
        if (startUnixNano < 0) {
            throw new InvalidInputException(field + ".start_unix_nano", "must not be negative, got " + startUnixNano);
        }
        if (endUnixNano <= startUnixNano) {
            throw new InvalidInputException(field, "the end (" + endUnixNano + ") must be after the start (" + startUnixNano + ")");
        }
    }

    /** The {@code length} before {@code end}. */
    public static TimeRange before(Instant end, Duration length) {
        long endNanos = nanos(end);
        return new TimeRange(endNanos - length.toNanos(), endNanos);
    }

    public static long nanos(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
    }

    public Instant start() {
        return instant(startUnixNano);
    }

    public Instant end() {
        return instant(endUnixNano);
    }

    public long lengthNanos() {
        return endUnixNano - startUnixNano;
    }

    public static Instant instant(long unixNano) {
        return Instant.ofEpochSecond(Math.floorDiv(unixNano, 1_000_000_000L), Math.floorMod(unixNano, 1_000_000_000L));
    }
}
