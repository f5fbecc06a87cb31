package io.lakeshard.storage.internal.kernel;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.delta.kernel.types.ArrayType;
import io.delta.kernel.types.BinaryType;
import io.delta.kernel.types.BooleanType;
import io.delta.kernel.types.ByteType;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.DateType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.FieldMetadata;
import io.delta.kernel.types.FloatType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.MapType;
import io.delta.kernel.types.ShortType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;
import io.lakeshard.storage.dataset.TableSchema;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/** Arrow schemas to Delta schemas and back, including the column-mapping names of each field. */
public final class DeltaSchemas {
    public static final String PHYSICAL_NAME_KEY = "delta.columnMapping.physicalName";
    public static final String COLUMN_ID_KEY = "delta.columnMapping.id";
    private static final ObjectMapper JSON = new ObjectMapper();

    private DeltaSchemas() {}

    public static StructType toDelta(Schema schema) {
        List<StructField> fields = new ArrayList<>();
        for (Field field : schema.getFields()) {
            fields.add(toDelta(field));
        }
        return new StructType(fields);
    }

    public static StructField toDelta(Field field) {
        return new StructField(field.getName(), toDeltaType(field), field.isNullable());
    }

    private static DataType toDeltaType(Field field) {
        ArrowType type = field.getType();
        return switch (type.getTypeID()) {
            case Bool -> BooleanType.BOOLEAN;
            case Int -> switch (((ArrowType.Int) type).getBitWidth()) {
                case 8 -> ByteType.BYTE;
                case 16 -> ShortType.SHORT;
                case 32 -> IntegerType.INTEGER;
                default -> LongType.LONG;
            };
            case FloatingPoint -> ((ArrowType.FloatingPoint) type).getPrecision() == FloatingPointPrecision.SINGLE
                    ? FloatType.FLOAT : DoubleType.DOUBLE;
            case Decimal -> new DecimalType(((ArrowType.Decimal) type).getPrecision(), ((ArrowType.Decimal) type).getScale());
            case Utf8, LargeUtf8 -> StringType.STRING;
            case Binary, FixedSizeBinary -> BinaryType.BINARY;
            case Date -> DateType.DATE;
            case Timestamp -> ((ArrowType.Timestamp) type).getTimezone() == null
                    ? TimestampNTZType.TIMESTAMP_NTZ : TimestampType.TIMESTAMP;
            case List -> {
                Field element = field.getChildren().get(0);
                yield new ArrayType(toDeltaType(element), element.isNullable());
            }
            case Map -> {
                Field entries = field.getChildren().get(0);
                Field value = entries.getChildren().get(1);
                yield new MapType(toDeltaType(entries.getChildren().get(0)), toDeltaType(value), value.isNullable());
            }
            case Struct -> {
                List<StructField> children = new ArrayList<>();
                for (Field child : field.getChildren()) {
                    children.add(toDelta(child));
                }
                yield new StructType(children);
            }
            default -> throw new IllegalArgumentException("no Delta type for " + type);
        };
    }

    /** Arrow's canonical reading of a Delta schema: strings are utf8, binaries are binary. */
    public static Schema toArrow(StructType schema) {
        List<Field> fields = new ArrayList<>();
        for (StructField field : schema.fields()) {
            fields.add(toArrow(field.getName(), field.getDataType(), field.isNullable()));
        }
        return new Schema(fields);
    }

    private static Field toArrow(String name, DataType type, boolean nullable) {
        if (type instanceof ArrayType array) {
            return new Field(name, new FieldType(nullable, ArrowType.List.INSTANCE, null),
                    List.of(toArrow("element", array.getElementType(), array.containsNull())));
        }
        if (type instanceof MapType map) {
            Field entries = new Field("entries", FieldType.notNullable(ArrowType.Struct.INSTANCE), List.of(
                    toArrow("key", map.getKeyType(), false),
                    toArrow("value", map.getValueType(), map.isValueContainsNull())));
            return new Field(name, new FieldType(nullable, new ArrowType.Map(false), null), List.of(entries));
        }
        if (type instanceof StructType struct) {
            List<Field> children = new ArrayList<>();
            for (StructField child : struct.fields()) {
                children.add(toArrow(child.getName(), child.getDataType(), child.isNullable()));
            }
            return new Field(name, new FieldType(nullable, ArrowType.Struct.INSTANCE, null), children);
        }
        return new Field(name, new FieldType(nullable, scalarToArrow(type), null), null);
    }

    private static ArrowType scalarToArrow(DataType type) {
        if (type instanceof BooleanType) {
            return ArrowType.Bool.INSTANCE;
        }
        if (type instanceof ByteType) {
            return new ArrowType.Int(8, true);
        }
        if (type instanceof ShortType) {
            return new ArrowType.Int(16, true);
        }
        if (type instanceof IntegerType) {
            return new ArrowType.Int(32, true);
        }
        if (type instanceof LongType) {
            return new ArrowType.Int(64, true);
        }
        if (type instanceof FloatType) {
            return new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
        }
        if (type instanceof DoubleType) {
            return new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
        }
        if (type instanceof DecimalType decimal) {
            return new ArrowType.Decimal(decimal.getPrecision(), decimal.getScale(), 128);
        }
        if (type instanceof StringType) {
            return ArrowType.Utf8.INSTANCE;
        }
        if (type instanceof BinaryType) {
            return ArrowType.Binary.INSTANCE;
        }
        if (type instanceof DateType) {
            return new ArrowType.Date(DateUnit.DAY);
        }
        if (type instanceof TimestampType) {
            return new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC");
        }
        if (type instanceof TimestampNTZType) {
            return new ArrowType.Timestamp(TimeUnit.MICROSECOND, null);
        }
        throw new IllegalArgumentException("unsupported Delta type " + type);
    }

    /**
     * The table schema of a Delta schema. {@code registered}, when present, is the exact Arrow schema the table was
     * created or evolved with (large strings, fixed-size binaries): Delta alone cannot say.
     */
    public static TableSchema tableSchema(StructType delta, List<String> partitionColumns, boolean columnMapping, Schema registered) {
        Schema logical = registered != null ? registered : toArrow(delta);
        List<Field> physical = new ArrayList<>();
        for (int i = 0; i < logical.getFields().size(); i++) {
            physical.add(physicalField(logical.getFields().get(i), delta.get(logical.getFields().get(i).getName())));
        }
        return new TableSchema(logical, new Schema(physical), partitionColumns, columnMapping);
    }

    private static Field physicalField(Field logical, StructField delta) {
        FieldMetadata metadata = delta.getMetadata();
        String physicalName = metadata.contains(PHYSICAL_NAME_KEY) ? metadata.getString(PHYSICAL_NAME_KEY) : logical.getName();
        Map<String, String> arrowMetadata = new HashMap<>();
        if (metadata.contains(COLUMN_ID_KEY)) {
            arrowMetadata.put(TableSchema.PARQUET_FIELD_ID, String.valueOf(metadata.getLong(COLUMN_ID_KEY)));
        }
        FieldType type = new FieldType(logical.isNullable(), logical.getType(), null, arrowMetadata.isEmpty() ? null : arrowMetadata);
        return new Field(physicalName, type, physicalChildren(logical, delta.getDataType()));
    }

    /**
     * The children of a field under their physical names. Struct fields have their own; a list's element and a map's
     * entries keep Arrow's names, but the structs inside them are mapped too, at every depth.
     */
    private static List<Field> physicalChildren(Field logical, DataType type) {
        List<Field> children = new ArrayList<>();
        if (type instanceof StructType struct) {
            for (Field child : logical.getChildren()) {
                children.add(physicalField(child, struct.get(child.getName())));
            }
        } else if (type instanceof ArrayType array) {
            children.add(withPhysicalChildren(logical.getChildren().get(0), array.getElementType()));
        } else if (type instanceof MapType map) {
            Field entries = logical.getChildren().get(0);
            children.add(new Field(entries.getName(), entries.getFieldType(), List.of(
                    withPhysicalChildren(entries.getChildren().get(0), map.getKeyType()),
                    withPhysicalChildren(entries.getChildren().get(1), map.getValueType()))));
        } else {
            children.addAll(logical.getChildren());
        }
        return children;
    }

    private static Field withPhysicalChildren(Field logical, DataType type) {
        return new Field(logical.getName(), logical.getFieldType(), physicalChildren(logical, type));
    }

    /**
     * A field for a new column with its own id and a physical name no column ever had, children included: Kernel
     * would reuse the display name, which resurrects a dropped column's old values.
     */
    public static StructField withNewColumnMapping(StructField field, int[] nextId) {
        FieldMetadata metadata = FieldMetadata.builder()
                .fromMetadata(field.getMetadata())
                .putLong(COLUMN_ID_KEY, nextId[0]++)
                .putString(PHYSICAL_NAME_KEY, "col-" + UUID.randomUUID())
                .build();
        return new StructField(field.getName(), withNewColumnMapping(field.getDataType(), nextId), field.isNullable(), metadata);
    }

    /** The type with every struct field inside it mapped, through lists and maps too. */
    private static DataType withNewColumnMapping(DataType type, int[] nextId) {
        if (type instanceof StructType struct) {
            List<StructField> children = new ArrayList<>();
            for (StructField child : struct.fields()) {
                children.add(withNewColumnMapping(child, nextId));
            }
            return new StructType(children);
        }
        if (type instanceof ArrayType array) {
            return new ArrayType(withNewColumnMapping(array.getElementType(), nextId), array.containsNull());
        }
        if (type instanceof MapType map) {
            return new MapType(withNewColumnMapping(map.getKeyType(), nextId),
                    withNewColumnMapping(map.getValueType(), nextId), map.isValueContainsNull());
        }
        return type;
    }

    /** Each field as Delta's schema JSON has it (name, type, nullable, metadata), for a commit's history. */
    public static List<Map<String, Object>> fieldsJson(List<StructField> fields) {
        try {
            JsonNode schema = JSON.readTree(new StructType(fields).toJson());
            List<Map<String, Object>> json = new ArrayList<>();
            for (JsonNode field : schema.get("fields")) {
                json.add(JSON.convertValue(field, new TypeReference<Map<String, Object>>() {}));
            }
            return json;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Kernel wrote a schema it cannot read", e);
        }
    }

    /** The schema as stored in data files: every field under its physical name. */
    public static StructType physical(StructType logical) {
        List<StructField> fields = new ArrayList<>();
        for (StructField field : logical.fields()) {
            fields.add(physical(field));
        }
        return new StructType(fields);
    }

    private static StructField physical(StructField field) {
        FieldMetadata metadata = field.getMetadata();
        String name = metadata.contains(PHYSICAL_NAME_KEY) ? metadata.getString(PHYSICAL_NAME_KEY) : field.getName();
        return new StructField(name, physical(field.getDataType()), field.isNullable());
    }

    private static DataType physical(DataType type) {
        if (type instanceof StructType struct) {
            return physical(struct);
        }
        if (type instanceof ArrayType array) {
            return new ArrayType(physical(array.getElementType()), array.containsNull());
        }
        if (type instanceof MapType map) {
            return new MapType(physical(map.getKeyType()), physical(map.getValueType()), map.isValueContainsNull());
        }
        return type;
    }
}
