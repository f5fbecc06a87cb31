package io.lakeshard.query.imports;

import static java.util.Objects.requireNonNull;

import io.lakeshard.arrow.DuckDbTypes;
import io.lakeshard.query.engine.DuckTypes;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * How one file's columns become the dataset's: matched by name, cast only where no value can change (wider integers,
 * float to double, finer decimals, timestamp units, a naive timestamp read as UTC), nanoseconds only when they are
 * whole microseconds (checked row by row), a missing nullable column as null, a partition column from the file's path.
 * Anything else is a reason to refuse the file, in words that name the column.
 */
final class ColumnFit {
    private static final List<String> SIGNED = List.of("TINYINT", "SMALLINT", "INTEGER", "BIGINT");
    private static final Map<String, String> UNSIGNED_FITS_IN = Map.of("UTINYINT", "SMALLINT", "USMALLINT", "INTEGER", "UINTEGER", "BIGINT");
    private static final Pattern DECIMAL = Pattern.compile("DECIMAL\\((\\d+),\\s*(\\d+)\\)");

    private ColumnFit() {}

    /**
     * The select list reading {@code fileColumns} (name to DuckDB type, as DESCRIBE gives them) as {@code schema}.
     *
     * @throws FileRejectedException (slice -1, the caller sets the index) when a column cannot fit
     */
    static String selectList(Schema schema, Map<String, String> fileColumns, Map<String, String> partitionValues) {
        StringBuilder select = new StringBuilder();
        for (Field field : schema.getFields()) {
            if (!select.isEmpty()) {
                select.append(", ");
            }
            select.append(expression(field, fileColumns, partitionValues)).append(" AS ").append(DuckTypes.quote(field.getName()));
        }
        return select.toString();
    }

    private static String expression(Field field, Map<String, String> fileColumns, Map<String, String> partitionValues) {
        String name = field.getName();
        String target = DuckDbTypes.sqlType(field);
        String partition = partitionValues.get(name);
        if (partition != null) {
            // Hive writes a null partition value as this directory name.
            return "__HIVE_DEFAULT_PARTITION__".equals(partition) ? "CAST(NULL AS " + target + ")"
                    : "CAST(" + DuckTypes.string(partition) + " AS " + target + ")";
        }
        String source = fileColumns.get(name);
        if (source == null) {
            if (!field.isNullable()) {
                throw new FileRejectedException(-1, "column '" + name + "' is missing, and the dataset's column is not nullable");
            }
            return "CAST(NULL AS " + target + ")";
        }
        String column = DuckTypes.quote(name);
        String from = normalize(source);
        String to = normalize(target);
        if (from.equals(to)) {
            return column;
        }
        if ("TIMESTAMP_NS".equals(from) && (to.equals("TIMESTAMP") || to.equals("TIMESTAMPTZ"))) {
            return "CASE WHEN epoch_ns(" + column + ") % 1000 <> 0 THEN error(" + DuckTypes.string("column '" + name
                    + "' has a timestamp with nanoseconds; the dataset keeps microseconds") + ") ELSE CAST(" + column + " AS " + target + ") END";
        }
        Optional<String> refusal = widening(from, to);
        if (refusal.isPresent()) {
            throw new FileRejectedException(-1, "column '" + name + "' is " + source + " in the file and " + target
                    + " in the dataset: " + refusal.get());
        }
        return "CAST(" + column + " AS " + target + ")";
    }

    /** Empty when every value of {@code from} is a value of {@code to}; else why not. */
    private static Optional<String> widening(String from, String to) {
        if (SIGNED.contains(from) || UNSIGNED_FITS_IN.containsKey(from)) {
            int rank = SIGNED.contains(from) ? SIGNED.indexOf(from) : SIGNED.indexOf(UNSIGNED_FITS_IN.get(from));
            if (SIGNED.contains(to)) {
                return SIGNED.indexOf(to) >= rank ? Optional.empty() : Optional.of("a narrower integer");
            }
            if (to.equals("DOUBLE") && rank <= SIGNED.indexOf("INTEGER") || to.equals("FLOAT") && rank <= SIGNED.indexOf("SMALLINT")) {
                return Optional.empty();
            }
            Matcher decimal = DECIMAL.matcher(to);
            if (decimal.matches()) {
                int digits = new int[] {3, 5, 10, 19}[rank];
                return Integer.parseInt(decimal.group(1)) - Integer.parseInt(decimal.group(2)) >= digits ? Optional.empty()
                        : Optional.of("the decimal has too few integer digits");
            }
            return Optional.of("not a widening of an integer");
        }
        if (from.equals("FLOAT")) {
            return to.equals("DOUBLE") ? Optional.empty() : Optional.of("a float widens only to DOUBLE");
        }
        Matcher source = DECIMAL.matcher(from);
        Matcher target = DECIMAL.matcher(to);
        if (source.matches() && target.matches()) {
            int precision = Integer.parseInt(source.group(1));
            int scale = Integer.parseInt(source.group(2));
            int toPrecision = Integer.parseInt(target.group(1));
            int toScale = Integer.parseInt(target.group(2));
            return toScale >= scale && toPrecision - toScale >= precision - scale ? Optional.empty()
                    : Optional.of("the dataset's decimal has fewer digits");
        }
        if (List.of("TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP", "TIMESTAMPTZ").contains(from)) {
            return to.equals("TIMESTAMP") || to.equals("TIMESTAMPTZ") ? Optional.empty() : Optional.of("a timestamp stays a timestamp");
        }
        if (isNested(from) && isNested(to) && from.charAt(0) == to.charAt(0)) {
            // Nested fields by name: DuckDB's cast matches struct fields by name and fails the read if one cannot fit.
            return Optional.empty();
        }
        return Optional.of("not a widening");
    }

    private static boolean isNested(String type) {
        return type.startsWith("STRUCT(") || type.startsWith("MAP(") || type.endsWith("[]");
    }

    private static String normalize(String type) {
        String upper = requireNonNull(type, "type is null").toUpperCase(Locale.ROOT).trim();
        return switch (upper) {
            case "TIMESTAMP WITH TIME ZONE" -> "TIMESTAMPTZ";
            case "INT", "INT4" -> "INTEGER";
            case "INT8", "LONG" -> "BIGINT";
            case "STRING", "TEXT" -> "VARCHAR";
            case "REAL", "FLOAT4" -> "FLOAT";
            default -> upper.replace(", ", ",");
        };
    }
}
