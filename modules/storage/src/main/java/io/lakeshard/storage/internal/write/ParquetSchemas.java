package io.lakeshard.storage.internal.write;

import io.lakeshard.storage.dataset.TableSchema;
import java.util.List;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Type.Repetition;
import org.apache.parquet.schema.Types;

/** Arrow fields (physical names) to Parquet types, laid out the way Delta and Spark write them. */
final class ParquetSchemas {
    private ParquetSchemas() {}

    static MessageType messageType(List<Field> physicalFields) {
        Types.MessageTypeBuilder message = Types.buildMessage();
        for (Field field : physicalFields) {
            message.addField(convert(field));
        }
        return message.named("spark_schema");
    }

    static Type convert(Field field) {
        Repetition repetition = field.isNullable() ? Repetition.OPTIONAL : Repetition.REQUIRED;
        Type type = switch (field.getType().getTypeID()) {
            case List -> Types.buildGroup(repetition).as(LogicalTypeAnnotation.listType())
                    .addField(Types.repeatedGroup().addField(convert(rename(field.getChildren().get(0), "element"))).named("list"))
                    .named(field.getName());
            case Map -> {
                Field entries = field.getChildren().get(0);
                yield Types.buildGroup(repetition).as(LogicalTypeAnnotation.mapType())
                        .addField(Types.repeatedGroup()
                                .addField(convert(rename(entries.getChildren().get(0), "key")))
                                .addField(convert(rename(entries.getChildren().get(1), "value")))
                                .named("key_value"))
                        .named(field.getName());
            }
            case Struct -> {
                Types.GroupBuilder<GroupType> group = Types.buildGroup(repetition);
                for (Field child : field.getChildren()) {
                    group.addField(convert(child));
                }
                yield group.named(field.getName());
            }
            default -> primitive(field, repetition);
        };
        return TableSchema.fieldId(field).map(type::withId).orElse(type);
    }

    private static Type primitive(Field field, Repetition repetition) {
        ArrowType type = field.getType();
        return switch (type.getTypeID()) {
            case Bool -> Types.primitive(PrimitiveTypeName.BOOLEAN, repetition).named(field.getName());
            case Int -> {
                int bits = ((ArrowType.Int) type).getBitWidth();
                yield bits == 64
                        ? Types.primitive(PrimitiveTypeName.INT64, repetition).named(field.getName())
                        : Types.primitive(PrimitiveTypeName.INT32, repetition)
                                .as(bits == 32 ? null : LogicalTypeAnnotation.intType(bits, true)).named(field.getName());
            }
            case FloatingPoint -> Types.primitive(
                    ((ArrowType.FloatingPoint) type).getPrecision() == FloatingPointPrecision.SINGLE
                            ? PrimitiveTypeName.FLOAT : PrimitiveTypeName.DOUBLE, repetition).named(field.getName());
            case Decimal -> {
                ArrowType.Decimal decimal = (ArrowType.Decimal) type;
                LogicalTypeAnnotation annotation =
                        LogicalTypeAnnotation.decimalType(decimal.getScale(), decimal.getPrecision());
                if (decimal.getPrecision() <= 9) {
                    yield Types.primitive(PrimitiveTypeName.INT32, repetition).as(annotation).named(field.getName());
                }
                if (decimal.getPrecision() <= 18) {
                    yield Types.primitive(PrimitiveTypeName.INT64, repetition).as(annotation).named(field.getName());
                }
                yield Types.primitive(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY, repetition)
                        .length(decimalBytes(decimal.getPrecision())).as(annotation).named(field.getName());
            }
            case Utf8, LargeUtf8 -> Types.primitive(PrimitiveTypeName.BINARY, repetition)
                    .as(LogicalTypeAnnotation.stringType()).named(field.getName());
            case Binary, FixedSizeBinary -> Types.primitive(PrimitiveTypeName.BINARY, repetition).named(field.getName());
            case Date -> Types.primitive(PrimitiveTypeName.INT32, repetition)
                    .as(LogicalTypeAnnotation.dateType()).named(field.getName());
            case Timestamp -> Types.primitive(PrimitiveTypeName.INT64, repetition)
                    .as(LogicalTypeAnnotation.timestampType(((ArrowType.Timestamp) type).getTimezone() != null,
                            LogicalTypeAnnotation.TimeUnit.MICROS))
                    .named(field.getName());
            default -> throw new IllegalArgumentException("no Parquet type for " + type);
        };
    }

    /** The fewest bytes that hold every unscaled value of the precision, as Spark sizes them. */
    static int decimalBytes(int precision) {
        int bytes = 1;
        while (Math.pow(2.0, 8 * bytes - 1) < Math.pow(10.0, precision)) {
            bytes++;
        }
        return bytes;
    }

    private static Field rename(Field field, String name) {
        return new Field(name, field.getFieldType(), field.getChildren());
    }
}
