package io.lakeshard.storage.stats;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.OptionalLong;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * One canonical Java value per orderable Arrow type, so statistics, partition values and predicate literals compare
 * alike: integers, dates (days) and timestamps (microseconds) as {@link Long}, floats as {@link Double}, decimals as
 * {@link BigDecimal}, strings as {@link String} in UTF-8 byte order, booleans as {@link Boolean}.
 */
public final class StatValues {
    private static final DateTimeFormatter STATS_TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    private static final DateTimeFormatter STATS_TIMESTAMP_NTZ = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS");
    private static final DateTimeFormatter PARTITION_TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

    private StatValues() {}

    /** Converts a user-supplied literal (numbers, strings, {@link LocalDate}, {@link Instant}, ...) to canonical form. */
    public static Comparable<?> normalize(ArrowType type, Object value) {
        if (value == null) {
            return null;
        }
        try {
            return switch (type.getTypeID()) {
                case Int -> ((Number) value).longValue();
                case FloatingPoint -> ((Number) value).doubleValue();
                case Decimal -> value instanceof BigDecimal d ? d : new BigDecimal(value.toString());
                case Utf8, LargeUtf8 -> (String) value;
                case Bool -> (Boolean) value;
                case Date -> value instanceof LocalDate d ? d.toEpochDay() : ((Number) value).longValue();
                case Timestamp -> timestampMicros(value);
                default -> throw new IllegalArgumentException("type " + type + " has no order");
            };
        } catch (ClassCastException e) {
            throw new IllegalArgumentException("a " + value.getClass().getSimpleName() + " is not a value of type " + type);
        }
    }

    private static long timestampMicros(Object value) {
        if (value instanceof Instant i) {
            return micros(i);
        }
        if (value instanceof LocalDateTime t) {
            return micros(t.toInstant(ZoneOffset.UTC));
        }
        if (value instanceof OffsetDateTime t) {
            return micros(t.toInstant());
        }
        return ((Number) value).longValue();
    }

    /**
     * Microseconds since the epoch, exact for every instant that has them. {@code ChronoUnit.MICROS.between} counts
     * through nanoseconds and overflows outside 1677–2262.
     */
    public static long micros(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1000);
    }

    /** The canonical value at {@code row} of a vector of an orderable type, or null. */
    public static Comparable<?> read(FieldVector vector, int row) {
        if (vector.isNull(row)) {
            return null;
        }
        if (vector instanceof BaseIntVector v) {
            return v.getValueAsLong(row);
        }
        if (vector instanceof Float4Vector v) {
            return (double) v.get(row);
        }
        if (vector instanceof Float8Vector v) {
            return v.get(row);
        }
        if (vector instanceof DecimalVector v) {
            return v.getObject(row);
        }
        if (vector instanceof DateDayVector v) {
            return (long) v.get(row);
        }
        if (vector instanceof TimeStampVector v) {
            return v.get(row);
        }
        if (vector instanceof VarCharVector v) {
            return new String(v.get(row), StandardCharsets.UTF_8);
        }
        if (vector instanceof LargeVarCharVector v) {
            return new String(v.get(row), StandardCharsets.UTF_8);
        }
        if (vector instanceof BitVector v) {
            return v.get(row) == 1;
        }
        throw new IllegalArgumentException("column " + vector.getName() + " of type " + vector.getField().getType() + " has no order");
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    public static int compare(Comparable<?> left, Comparable<?> right) {
        if (left instanceof String l && right instanceof String r) {
            return compareUtf8(l, r);
        }
        return ((Comparable) left).compareTo(right);
    }

    /** Code-point order, which is UTF-8 byte order: what Parquet and DuckDB use, unlike {@link String#compareTo}. */
    public static int compareUtf8(String left, String right) {
        int i = 0;
        int j = 0;
        while (i < left.length() && j < right.length()) {
            int a = left.codePointAt(i);
            int b = right.codePointAt(j);
            if (a != b) {
                return Integer.compare(a, b);
            }
            i += Character.charCount(a);
            j += Character.charCount(b);
        }
        return Integer.compare(left.length() - i, right.length() - j);
    }

    public static JsonNode toJson(ArrowType type, Comparable<?> value) {
        JsonNodeFactory json = JsonNodeFactory.instance;
        return switch (type.getTypeID()) {
            case Int -> json.numberNode((Long) value);
            case FloatingPoint -> json.numberNode((Double) value);
            case Decimal -> json.numberNode((BigDecimal) value);
            case Utf8, LargeUtf8 -> json.textNode((String) value);
            case Bool -> json.booleanNode((Boolean) value);
            case Date -> json.textNode(LocalDate.ofEpochDay((Long) value).toString());
            case Timestamp -> json.textNode(formatStatsTimestamp((ArrowType.Timestamp) type, (Long) value));
            default -> throw new IllegalArgumentException("no statistics for " + type);
        };
    }

    /** The canonical value of the scalar token {@code parser} is at. */
    static Comparable<?> fromJson(ArrowType type, JsonParser parser) throws IOException {
        return switch (type.getTypeID()) {
            case Int -> parser.getValueAsLong();
            case FloatingPoint -> parser.getValueAsDouble();
            case Decimal -> parser.currentToken().isNumeric() ? parser.getDecimalValue() : new BigDecimal(parser.getText());
            case Utf8, LargeUtf8 -> parser.getText();
            case Bool -> parser.getValueAsBoolean();
            case Date -> LocalDate.parse(parser.getText()).toEpochDay();
            case Timestamp -> parseStatsTimestamp((ArrowType.Timestamp) type, parser.getText());
            default -> throw new IllegalArgumentException("no statistics for " + type);
        };
    }

    private static String formatStatsTimestamp(ArrowType.Timestamp type, long micros) {
        LocalDateTime time = LocalDateTime.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                (int) Math.floorMod(micros, 1_000_000L) * 1000, ZoneOffset.UTC);
        return type.getTimezone() == null
                ? STATS_TIMESTAMP_NTZ.format(time)
                : STATS_TIMESTAMP.format(time.atOffset(ZoneOffset.UTC));
    }

    private static long parseStatsTimestamp(ArrowType.Timestamp type, String text) {
        boolean naive = type.getTimezone() == null;
        OptionalLong common = commonTimestampMicros(text, naive);
        if (common.isPresent()) {
            return common.getAsLong();
        }
        Instant instant = naive ? LocalDateTime.parse(text).toInstant(ZoneOffset.UTC) : OffsetDateTime.parse(text).toInstant();
        return micros(instant);
    }

    /**
     * The shapes writers put in statistics ({@code 2026-12-01T20:35:30.123Z}, a {@code +01:00} offset, no zone for a
     * timestamp without time zone), read by hand: a cold load reads two per file and timestamp column, and java.time's
     * parser was a third of a 100,000-file load. Empty for any other text, which java.time then reads (or refuses).
     */
    static OptionalLong commonTimestampMicros(String text, boolean naive) {
        int length = text.length();
        if (length < 19 || text.charAt(4) != '-' || text.charAt(7) != '-' || text.charAt(10) != 'T' || text.charAt(13) != ':'
                || text.charAt(16) != ':') {
            return OptionalLong.empty();
        }
        int year = digits(text, 0, 4);
        int month = digits(text, 5, 2);
        int day = digits(text, 8, 2);
        int hour = digits(text, 11, 2);
        int minute = digits(text, 14, 2);
        int second = digits(text, 17, 2);
        if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59
                || second < 0 || second > 59) {
            return OptionalLong.empty();
        }
        int at = 19;
        long nanos = 0;
        if (at < length && text.charAt(at) == '.') {
            int first = ++at;
            while (at < length && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
                if (at - first >= 9) {
                    return OptionalLong.empty();
                }
                nanos = nanos * 10 + (text.charAt(at++) - '0');
            }
            if (at == first) {
                return OptionalLong.empty();
            }
            for (int scale = at - first; scale < 9; scale++) {
                nanos *= 10;
            }
        }
        long offsetSeconds = 0;
        if (naive) {
            if (at != length) {
                return OptionalLong.empty();
            }
        } else if (at + 1 == length && text.charAt(at) == 'Z') {
            offsetSeconds = 0;
        } else if (at + 6 == length && (text.charAt(at) == '+' || text.charAt(at) == '-') && text.charAt(at + 3) == ':') {
            int hours = digits(text, at + 1, 2);
            int minutes = digits(text, at + 4, 2);
            // ZoneOffset's own bounds: up to ±18:00.
            if (hours < 0 || minutes < 0 || minutes > 59 || hours * 60 + minutes > 18 * 60) {
                return OptionalLong.empty();
            }
            offsetSeconds = (hours * 3600L + minutes * 60L) * (text.charAt(at) == '-' ? -1 : 1);
        } else {
            return OptionalLong.empty();
        }
        long epochDay;
        try {
            epochDay = LocalDate.of(year, month, day).toEpochDay();
        } catch (DateTimeException e) {
            return OptionalLong.empty();
        }
        long seconds = epochDay * 86_400L + hour * 3_600L + minute * 60L + second - offsetSeconds;
        return OptionalLong.of(Math.addExact(Math.multiplyExact(seconds, 1_000_000L), nanos / 1000));
    }

    /** The decimal number of {@code count} ASCII digits at {@code from}; -1 if any is not a digit. */
    private static int digits(String text, int from, int count) {
        int value = 0;
        for (int i = from; i < from + count; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    /** The Delta log's string form of a partition value. */
    public static String toPartitionString(ArrowType type, Comparable<?> value) {
        if (value == null) {
            return null;
        }
        return switch (type.getTypeID()) {
            case Date -> LocalDate.ofEpochDay((Long) value).toString();
            case Timestamp -> {
                long micros = (Long) value;
                yield PARTITION_TIMESTAMP.format(LocalDateTime.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                        (int) Math.floorMod(micros, 1_000_000L) * 1000, ZoneOffset.UTC));
            }
            case Decimal -> ((BigDecimal) value).toPlainString();
            default -> value.toString();
        };
    }

    /** Parses a partition value as written by {@link #toPartitionString} (or by Spark). */
    public static Comparable<?> fromPartitionString(ArrowType type, String text) {
        if (text == null) {
            return null;
        }
        return switch (type.getTypeID()) {
            case Int -> Long.parseLong(text);
            case FloatingPoint -> Double.parseDouble(text);
            case Decimal -> new BigDecimal(text);
            case Utf8, LargeUtf8 -> text;
            case Bool -> Boolean.parseBoolean(text);
            case Date -> LocalDate.parse(text).toEpochDay();
            case Timestamp -> parsePartitionTimestamp(text);
            default -> throw new IllegalArgumentException("no partition values of type " + type);
        };
    }

    private static long parsePartitionTimestamp(String text) {
        Instant instant;
        if (text.endsWith("Z")) {
            instant = Instant.parse(text);
        } else {
            instant = LocalDateTime.parse(text.replace(' ', 'T')).toInstant(ZoneOffset.UTC);
        }
        return micros(instant);
    }
}
