package io.lakeshard.query.engine;

import io.lakeshard.query.sql.SqlLiteral;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.Optional;
import java.util.Set;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * A SQL constant as a value of a column's type, only where the conversion is exact and is what DuckDB itself would
 * compare. Anything doubtful (a fraction against an integer, a float32 column, an odd date format) is not pushed
 * down: DuckDB still applies the filter, only fewer files are pruned.
 */
final class Literals {
    private static final Set<String> INTEGER_KINDS = Set.of("INTEGER", "BIGINT", "HUGEINT", "SMALLINT", "TINYINT", "UBIGINT");
    private static final Set<String> NUMERIC_KINDS = Set.of("INTEGER", "BIGINT", "HUGEINT", "SMALLINT", "TINYINT", "UBIGINT", "DECIMAL", "DOUBLE");
    private static final Set<String> TIMESTAMP_CASTS = Set.of("TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "DATETIME");
    private static final DateTimeFormatter TIMESTAMP = new DateTimeFormatterBuilder()
            .appendPattern("yyyy-MM-dd[ ]['T']HH:mm:ss")
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true).optionalEnd()
            .optionalStart().appendOffset("+HH:mm", "Z").optionalEnd()
            .optionalStart().appendOffset("+HH", "Z").optionalEnd()
            .toFormatter();

    private Literals() {}

    static Optional<Object> toColumnValue(ArrowType type, SqlLiteral literal) {
        String cast = literal.castType();
        try {
            return switch (type.getTypeID()) {
                case Int -> cast == null && INTEGER_KINDS.contains(literal.kind())
                        ? Optional.of(Long.parseLong(literal.text())) : Optional.empty();
                case FloatingPoint -> ((ArrowType.FloatingPoint) type).getPrecision() == FloatingPointPrecision.DOUBLE
                        && cast == null && NUMERIC_KINDS.contains(literal.kind())
                        ? Optional.of(Double.parseDouble(literal.text())) : Optional.empty();
                case Decimal -> cast == null && NUMERIC_KINDS.contains(literal.kind()) && !"DOUBLE".equals(literal.kind())
                        ? Optional.of(new BigDecimal(literal.text())) : Optional.empty();
                case Utf8, LargeUtf8 -> "STRING".equals(literal.kind()) && (cast == null || cast.equals("VARCHAR"))
                        ? Optional.of(literal.text()) : Optional.empty();
                case Bool -> "BOOLEAN".equals(literal.kind()) && cast == null
                        ? Optional.of(Boolean.parseBoolean(literal.text())) : Optional.empty();
                case Date -> "STRING".equals(literal.kind()) && (cast == null || cast.equals("DATE"))
                        && literal.text().matches("\\d{4}-\\d{2}-\\d{2}")
                        ? Optional.of(LocalDate.parse(literal.text())) : Optional.empty();
                case Timestamp -> "STRING".equals(literal.kind()) && (cast == null || TIMESTAMP_CASTS.contains(cast))
                        ? timestamp(((ArrowType.Timestamp) type).getTimezone() != null, literal.text()) : Optional.empty();
                default -> Optional.empty();
            };
        } catch (NumberFormatException | DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** The session time zone is UTC, so a zoneless literal is a UTC time for either timestamp type. */
    private static Optional<Object> timestamp(boolean withZone, String text) {
        if (text.matches("\\d{4}-\\d{2}-\\d{2}")) {
            return Optional.of(LocalDate.parse(text).atStartOfDay().toInstant(ZoneOffset.UTC));
        }
        var parsed = TIMESTAMP.parseBest(text, OffsetDateTime::from, LocalDateTime::from);
        if (parsed instanceof OffsetDateTime offset) {
            return withZone ? Optional.of(offset.toInstant()) : Optional.empty();
        }
        return Optional.of(((LocalDateTime) parsed).toInstant(ZoneOffset.UTC));
    }

    /** A timestamp literal as an instant; {@link IllegalArgumentException} if it is not one. */
    static Instant instant(SqlLiteral literal) {
        try {
            return timestamp(true, literal.text()).map(Instant.class::cast)
                    .orElseThrow(() -> new IllegalArgumentException("not a timestamp: " + literal.text()));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("not a timestamp: " + literal.text(), e);
        }
    }
}
