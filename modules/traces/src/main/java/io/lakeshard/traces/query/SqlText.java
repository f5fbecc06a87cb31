package io.lakeshard.traces.query;

import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;

/**
 * Constants and names as SQL text. The engine takes no parameters, so every value a caller sent is validated and
 * written as a literal here: strings quoted with quotes doubled (DuckDB's standard strings have no backslash escapes),
 * numbers from Java's own formatting, timestamps from instants. Public for the other statements over span tables
 * (tail sampling's), so that there is one way of quoting.
 */
public final class SqlText {
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final long MICROS_PER_DAY = 86_400_000_000L;
    private static final HexFormat HEX = HexFormat.of();

    private SqlText() {}

    /** A string constant; refuses NUL, which would end the text early in places. */
    public static String string(String value, String field) {
        if (value.indexOf('\0') >= 0) {
            throw new InvalidInputException(field, "must not contain the character U+0000");
        }
        return "'" + value.replace("'", "''") + "'";
    }

    /** Bytes as a DuckDB blob constant, {@code '\x0a\xf7...'::BLOB}: a constant, so DuckDB checks bloom filters with it. */
    public static String blob(byte[] bytes) {
        StringBuilder literal = new StringBuilder("'");
        for (byte b : bytes) {
            literal.append("\\x").append(HEX.toHexDigits(b));
        }
        return literal.append("'::BLOB").toString();
    }

    /** A finite double as a DOUBLE constant ({@code 1.5E10} is DuckDB's syntax too). */
    public static String number(double value) {
        return Double.toString(value);
    }

    /**
     * A {@code TIMESTAMPTZ} constant to the microsecond, in the form the query layer's pruning reads, so the files
     * and row groups of other times are skipped.
     */
    public static String timestamp(long unixMicros) {
        Instant instant = Instant.ofEpochSecond(Math.floorDiv(unixMicros, 1_000_000L), Math.floorMod(unixMicros, 1_000_000L) * 1_000L);
        return "TIMESTAMPTZ '" + TIMESTAMP.format(instant) + "'";
    }

    /**
     * The UTC day of an instant as a {@code DATE} constant: the form of {@code _ls_partition_date}, which the query
     * layer prunes partitions by exactly.
     */
    public static String date(long unixMicros) {
        return "DATE '" + LocalDate.ofEpochDay(Math.floorDiv(unixMicros, MICROS_PER_DAY)) + "'";
    }

    /** A dataset as a quoted three-part name (its parts are [a-z][a-z0-9_]*, but may be keywords). */
    public static String table(DatasetName name) {
        return "\"" + name.catalog() + "\".\"" + name.schema() + "\".\"" + name.table() + "\"";
    }
}
