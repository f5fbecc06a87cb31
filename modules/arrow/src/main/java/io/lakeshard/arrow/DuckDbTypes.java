package io.lakeshard.arrow;

import java.util.stream.Collectors;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * DuckDB's SQL name for each Arrow type a dataset may hold, nested types included: the query engine casts partition
 * values and missing columns to it, the CLI casts a Parquet file's columns to the dataset's. The Arrow to Delta map
 * needs Delta Kernel's types and stays in the storage module.
 */
public final class DuckDbTypes {
    private DuckDbTypes() {}

    /** The type's SQL name; {@link IllegalArgumentException} for a type no dataset can hold. */
    public static String sqlType(Field field) {
        ArrowType type = field.getType();
        return switch (type.getTypeID()) {
            case Bool -> "BOOLEAN";
            case Int -> switch (((ArrowType.Int) type).getBitWidth()) {
                case 8 -> "TINYINT";
                case 16 -> "SMALLINT";
                case 32 -> "INTEGER";
                default -> "BIGINT";
            };
            case FloatingPoint -> ((ArrowType.FloatingPoint) type).getPrecision() == FloatingPointPrecision.SINGLE ? "FLOAT" : "DOUBLE";
            case Decimal -> "DECIMAL(" + ((ArrowType.Decimal) type).getPrecision() + "," + ((ArrowType.Decimal) type).getScale() + ")";
            case Utf8, LargeUtf8 -> "VARCHAR";
            case Binary, FixedSizeBinary -> "BLOB";
            case Date -> "DATE";
            case Timestamp -> ((ArrowType.Timestamp) type).getTimezone() == null ? "TIMESTAMP" : "TIMESTAMPTZ";
            case List -> sqlType(field.getChildren().get(0)) + "[]";
            case Struct -> field.getChildren().stream()
                    .map(child -> identifier(child.getName()) + " " + sqlType(child))
                    .collect(Collectors.joining(", ", "STRUCT(", ")"));
            case Map -> {
                Field entries = field.getChildren().get(0);
                yield "MAP(" + sqlType(entries.getChildren().get(0)) + ", " + sqlType(entries.getChildren().get(1)) + ")";
            }
            default -> throw new IllegalArgumentException("no DuckDB type for " + type);
        };
    }

    private static String identifier(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }
}
