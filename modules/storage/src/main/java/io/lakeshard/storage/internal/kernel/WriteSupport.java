package io.lakeshard.storage.internal.kernel;

import io.delta.kernel.Snapshot;
import io.delta.kernel.types.ArrayType;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.MapType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Whether Lakeshard writes a table version correctly, judged by the features its protocol supports. Lakeshard's writer
 * adds and removes whole files, with statistics, physical names and field ids, and enforces nothing but types and
 * nullability: a table whose protocol asks more of writers (deletion vectors, row tracking, CHECK constraints, a
 * change data feed, ...) would be left inconsistent for other readers, so it is read-only. A feature a protocol
 * supports but the table does not use (no constraint defined, the change data feed off) asks nothing.
 */
public final class WriteSupport {
    private static final String WRITES_NOTHING_FOR = ": Lakeshard does not write tables with this feature";

    private WriteSupport() {}

    /** Why Lakeshard does not write this version, or empty when it does. */
    public static Optional<String> refusal(Snapshot snapshot) {
        Map<String, String> properties = snapshot.getTableProperties();
        StructType schema = snapshot.getSchema();
        List<String> reasons = new ArrayList<>();
        for (String feature : KernelActions.features(snapshot)) {
            reason(feature, properties, schema).ifPresent(reasons::add);
        }
        return reasons.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", reasons));
    }

    private static Optional<String> reason(String feature, Map<String, String> properties, StructType schema) {
        return switch (feature) {
            // Kernel refuses removes of data from an append-only table; appends are what it is for.
            case "appendOnly", "timestampNtz" -> Optional.empty();
            case "columnMapping" -> "id".equals(properties.get(TableProperties.COLUMN_MAPPING_MODE))
                    ? Optional.of("column mapping by id" + WRITES_NOTHING_FOR) : Optional.empty();
            case "invariants" -> inUse(anyField(schema, "delta.invariants"), "column invariants");
            case "checkConstraints" -> inUse(properties.keySet().stream().anyMatch(key -> key.startsWith("delta.constraints.")),
                    "CHECK constraints");
            case "changeDataFeed" -> inUse("true".equalsIgnoreCase(properties.get("delta.enableChangeDataFeed")), "the change data feed");
            case "generatedColumns" -> inUse(anyField(schema, "delta.generationExpression"), "generated columns");
            case "identityColumns" -> inUse(anyField(schema, "delta.identity.start"), "identity columns");
            case "deletionVectors" -> Optional.of("deletion vectors" + WRITES_NOTHING_FOR);
            default -> Optional.of("the table feature " + feature + WRITES_NOTHING_FOR);
        };
    }

    private static Optional<String> inUse(boolean used, String what) {
        return used ? Optional.of(what + WRITES_NOTHING_FOR) : Optional.empty();
    }

    private static boolean anyField(StructType schema, String metadataKey) {
        return anyField(schema, field -> field.getMetadata().contains(metadataKey));
    }

    private static boolean anyField(DataType type, Predicate<StructField> test) {
        if (type instanceof StructType struct) {
            for (StructField field : struct.fields()) {
                if (test.test(field) || anyField(field.getDataType(), test)) {
                    return true;
                }
            }
            return false;
        }
        if (type instanceof ArrayType array) {
            return anyField(array.getElementType(), test);
        }
        if (type instanceof MapType map) {
            return anyField(map.getKeyType(), test) || anyField(map.getValueType(), test);
        }
        return false;
    }
}
