package io.lakeshard.storage.internal.schema;

import io.lakeshard.storage.dataset.InvalidInputException;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * The Arrow types a dataset may use: exactly those with a Delta type to map to and back. Everything else is
 * refused here, by field path, before anything is written.
 */
public final class SupportedTypes {
    // Delta without column mapping forbids " ,;{}()\n\t=" in names; SQL is happier without quoting too.
    private static final Pattern COLUMN_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
    private static final int MAX_DECIMAL_PRECISION = 38;

    private SupportedTypes() {}

    /** Checks a field and its children; {@code path} names the field in error messages. */
    public static void requireSupported(String path, Field field) {
        if (!COLUMN_NAME.matcher(field.getName()).matches()) {
            throw new InvalidInputException(path, "column name must match [A-Za-z_][A-Za-z0-9_]{0,127}");
        }
        ArrowType type = field.getType();
        switch (type.getTypeID()) {
            case Bool, Utf8, LargeUtf8, Binary, FixedSizeBinary -> requireNoChildren(path, field);
            case Int -> {
                ArrowType.Int integer = (ArrowType.Int) type;
                if (!integer.getIsSigned()) {
                    throw unsupported(path, type, "unsigned integers have no Delta type; use a wider signed int");
                }
            }
            case FloatingPoint -> {
                if (((ArrowType.FloatingPoint) type).getPrecision() == FloatingPointPrecision.HALF) {
                    throw unsupported(path, type, "use float32 or float64");
                }
            }
            case Decimal -> {
                ArrowType.Decimal decimal = (ArrowType.Decimal) type;
                if (decimal.getBitWidth() != 128 || decimal.getPrecision() > MAX_DECIMAL_PRECISION) {
                    throw unsupported(path, type, "decimals are 128-bit with precision up to 38");
                }
            }
            case Date -> {
                if (((ArrowType.Date) type).getUnit() != DateUnit.DAY) {
                    throw unsupported(path, type, "use date32 (days)");
                }
            }
            case Timestamp -> {
                ArrowType.Timestamp timestamp = (ArrowType.Timestamp) type;
                if (timestamp.getUnit() != TimeUnit.MICROSECOND) {
                    throw unsupported(path, type, "Delta timestamps are microseconds; use timestamp(MICROSECOND)");
                }
                if (timestamp.getTimezone() != null && !timestamp.getTimezone().equals("UTC")) {
                    throw unsupported(path, type, "a timestamp with a zone must be in UTC");
                }
            }
            case List -> {
                requireChildren(path, field, 1);
                requireSupported(path + "[]", field.getChildren().get(0));
            }
            case Struct -> {
                Set<String> seen = new HashSet<>();
                if (field.getChildren().isEmpty()) {
                    throw unsupported(path, type, "a struct needs at least one field");
                }
                for (Field child : field.getChildren()) {
                    if (!seen.add(child.getName().toLowerCase(Locale.ROOT))) {
                        throw new InvalidInputException(path + "." + child.getName(), "duplicate field name");
                    }
                    requireSupported(path + "." + child.getName(), child);
                }
            }
            case Map -> {
                requireChildren(path, field, 1);
                Field entries = field.getChildren().get(0);
                if (entries.getChildren().size() != 2) {
                    throw unsupported(path, type, "a map's entries need a key and a value");
                }
                Field key = entries.getChildren().get(0);
                if (key.isNullable()) {
                    throw new InvalidInputException(path + ".key", "map keys must not be nullable");
                }
                requireSupported(path + ".key", key);
                requireSupported(path + ".value", entries.getChildren().get(1));
            }
            default -> throw unsupported(path, type,
                    "supported: bool, int8-64, float32/64, decimal, utf8, large utf8, binary, fixed-size binary, "
                            + "date32, timestamp(us[, UTC]), list, struct, map");
        }
    }

    /** Partition values are path segments and strings in the log: only scalar types that print exactly. */
    public static boolean isPartitionable(ArrowType type) {
        return switch (type.getTypeID()) {
            case Bool, Int, Utf8, LargeUtf8, Date, Timestamp, Decimal -> true;
            default -> false;
        };
    }

    /** Types whose values order meaningfully: usable for statistics, sorting, z-ordering and predicates. */
    public static boolean isOrderable(ArrowType type) {
        return switch (type.getTypeID()) {
            case Bool, Int, FloatingPoint, Decimal, Utf8, LargeUtf8, Date, Timestamp -> true;
            default -> false;
        };
    }

    public static boolean isString(ArrowType type) {
        return type.getTypeID() == ArrowType.ArrowTypeID.Utf8 || type.getTypeID() == ArrowType.ArrowTypeID.LargeUtf8;
    }

    private static void requireNoChildren(String path, Field field) {
        requireChildren(path, field, 0);
    }

    private static void requireChildren(String path, Field field, int count) {
        if (field.getChildren().size() != count) {
            throw new InvalidInputException(path, "malformed " + field.getType() + ": expected " + count + " child field(s)");
        }
    }

    private static InvalidInputException unsupported(String path, ArrowType type, String hint) {
        return new InvalidInputException(path, "type " + type + " is not supported; " + hint);
    }
}
