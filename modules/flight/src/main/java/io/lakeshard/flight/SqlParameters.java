package io.lakeshard.flight;

import io.lakeshard.service.ServiceException;
import io.lakeshard.service.ServiceException.Code;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * Binds a prepared statement's parameters as SQL literals in place of its {@code ?} placeholders. Each value is
 * rendered from its Arrow type as a typed literal (strings with quotes doubled, numbers through CAST of their text),
 * so no value can end its literal; and the bound statement then goes through the SQL sandbox like any other, so even
 * a literal that went wrong could only read what the tenant may read.
 */
final class SqlParameters {
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

    private SqlParameters() {}

    /** Where the {@code ?} placeholders are: outside string literals, quoted identifiers and comments. */
    static List<Integer> placeholders(String sql) {
        List<Integer> positions = new ArrayList<>();
        int i = 0;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipQuoted(sql, i, c);
            } else if (c == '-' && i + 1 < sql.length() && sql.charAt(i + 1) == '-') {
                int end = sql.indexOf('\n', i);
                i = end < 0 ? sql.length() : end + 1;
            } else if (c == '/' && i + 1 < sql.length() && sql.charAt(i + 1) == '*') {
                int end = sql.indexOf("*/", i + 2);
                i = end < 0 ? sql.length() : end + 2;
            } else {
                if (c == '?') {
                    positions.add(i);
                }
                i++;
            }
        }
        return positions;
    }

    /** The statement with row 0 of {@code parameters} in place of its placeholders, one column per placeholder. */
    static String bind(String sql, VectorSchemaRoot parameters) {
        List<Integer> positions = placeholders(sql);
        if (parameters.getFieldVectors().size() != positions.size()) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "the statement has " + positions.size()
                    + " parameters, got " + parameters.getFieldVectors().size());
        }
        if (parameters.getRowCount() != 1) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "bind one row of parameters to a query, got "
                    + parameters.getRowCount());
        }
        StringBuilder bound = new StringBuilder();
        int from = 0;
        for (int p = 0; p < positions.size(); p++) {
            bound.append(sql, from, positions.get(p)).append(literal(parameters.getVector(p), p + 1));
            from = positions.get(p) + 1;
        }
        return bound.append(sql.substring(from)).toString();
    }

    private static int skipQuoted(String sql, int start, char quote) {
        int i = start + 1;
        while (i < sql.length()) {
            if (sql.charAt(i) == quote) {
                if (i + 1 < sql.length() && sql.charAt(i + 1) == quote) {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return i;
    }

    static String literal(FieldVector vector, int parameter) {
        if (vector.isNull(0)) {
            return "NULL";
        }
        if (vector instanceof BitVector bits) {
            return bits.get(0) == 1 ? "TRUE" : "FALSE";
        }
        if (vector instanceof TinyIntVector v) {
            return "CAST(" + v.get(0) + " AS TINYINT)";
        }
        if (vector instanceof SmallIntVector v) {
            return "CAST(" + v.get(0) + " AS SMALLINT)";
        }
        if (vector instanceof IntVector v) {
            return "CAST(" + v.get(0) + " AS INTEGER)";
        }
        if (vector instanceof BigIntVector v) {
            return "CAST(" + v.get(0) + " AS BIGINT)";
        }
        if (vector instanceof Float4Vector v) {
            return "CAST('" + v.get(0) + "' AS FLOAT)";
        }
        if (vector instanceof Float8Vector v) {
            return "CAST('" + v.get(0) + "' AS DOUBLE)";
        }
        if (vector instanceof DecimalVector v) {
            BigDecimal value = v.getObject(0);
            return "CAST('" + value.toPlainString() + "' AS DECIMAL(" + v.getPrecision() + ", " + v.getScale() + "))";
        }
        if (vector instanceof VarCharVector v) {
            return string(new String(v.get(0), StandardCharsets.UTF_8));
        }
        if (vector instanceof LargeVarCharVector v) {
            return string(new String(v.get(0), StandardCharsets.UTF_8));
        }
        if (vector instanceof VarBinaryVector v) {
            return "from_hex('" + HexFormat.of().formatHex(v.get(0)) + "')";
        }
        if (vector instanceof DateDayVector v) {
            return "DATE '" + LocalDate.ofEpochDay(v.get(0)) + "'";
        }
        if (vector instanceof TimeStampVector v && vector.getField().getType() instanceof ArrowType.Timestamp type) {
            Instant instant = switch (type.getUnit()) {
                case SECOND -> Instant.ofEpochSecond(v.get(0));
                case MILLISECOND -> Instant.ofEpochMilli(v.get(0));
                case MICROSECOND -> Instant.ofEpochSecond(Math.floorDiv(v.get(0), 1_000_000L), Math.floorMod(v.get(0), 1_000_000L) * 1000);
                case NANOSECOND -> Instant.ofEpochSecond(Math.floorDiv(v.get(0), 1_000_000_000L), Math.floorMod(v.get(0), 1_000_000_000L));
            };
            String text = TIMESTAMP.format(LocalDateTime.ofInstant(instant, ZoneOffset.UTC));
            return type.getTimezone() == null ? "TIMESTAMP '" + text + "'" : "TIMESTAMPTZ '" + text + "+00'";
        }
        throw new ServiceException(Code.INVALID_ARGUMENT, "parameter " + parameter + ": values of type "
                + vector.getField().getType() + " cannot be bound; bind it as text and CAST it in the statement");
    }

    /** A string literal: quotes doubled, which is DuckDB's only escape in a standard string. */
    private static String string(String value) {
        if (value.indexOf('\0') >= 0) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "a text parameter holds a NUL character");
        }
        return "'" + value.replace("'", "''") + "'";
    }
}
