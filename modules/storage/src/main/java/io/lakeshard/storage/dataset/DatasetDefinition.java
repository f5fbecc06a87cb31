package io.lakeshard.storage.dataset;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.internal.schema.SupportedTypes;
import io.lakeshard.storage.internal.schema.SystemColumns;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * What a tenant registers: the user columns, how rows are partitioned and how files are written. Valid by
 * construction; the table itself also carries the system columns.
 *
 * @param eventTimeColumn a timestamp or date column whose day becomes the partition date; ingest time when empty
 */
public record DatasetDefinition(
        Schema userSchema,
        List<String> partitionColumns,
        Optional<String> eventTimeColumn,
        WriterOptions writerOptions) {

    public DatasetDefinition {
        requireNonNull(userSchema, "userSchema is null");
        partitionColumns = List.copyOf(requireNonNull(partitionColumns, "partitionColumns is null"));
        requireNonNull(eventTimeColumn, "eventTimeColumn is null");
        requireNonNull(writerOptions, "writerOptions is null");
        Map<String, Field> columns = validateColumns(userSchema);
        validatePartitionColumns(partitionColumns, columns);
        eventTimeColumn.ifPresent(name -> {
            Field field = requireColumn("event_time_column", name, columns);
            ArrowType.ArrowTypeID type = field.getType().getTypeID();
            if (type != ArrowType.ArrowTypeID.Timestamp && type != ArrowType.ArrowTypeID.Date) {
                throw new InvalidInputException("event_time_column", "'" + name + "' must be a timestamp or date column");
            }
        });
        for (String name : writerOptions.bloomFilterColumns()) {
            Field field = requireColumn("options.bloom_filter_columns", name, columns);
            if (!field.getChildren().isEmpty()) {
                throw new InvalidInputException("options.bloom_filter_columns", "'" + name + "' is not a scalar column");
            }
        }
        for (String name : writerOptions.uniqueKeyColumns()) {
            Field field = requireColumn("options.unique_key_columns", name, columns);
            if (!field.getChildren().isEmpty()) {
                throw new InvalidInputException("options.unique_key_columns", "'" + name + "' is not a scalar column");
            }
        }
        requireOrderable("options.sort_columns", writerOptions.sortColumns(), columns);
        requireOrderable("options.z_order_columns", writerOptions.zOrderColumns(), columns);
    }

    public static DatasetDefinition of(Schema userSchema, List<String> partitionColumns) {
        return new DatasetDefinition(userSchema, partitionColumns, Optional.empty(), WriterOptions.defaults());
    }

    public DatasetDefinition withEventTimeColumn(String column) {
        return new DatasetDefinition(userSchema, partitionColumns, Optional.of(column), writerOptions);
    }

    public DatasetDefinition withWriterOptions(WriterOptions options) {
        return new DatasetDefinition(userSchema, partitionColumns, eventTimeColumn, options);
    }

    /** The user columns followed by the system columns: the table's logical schema. */
    public Schema tableSchema() {
        List<Field> fields = new ArrayList<>(userSchema.getFields());
        fields.addAll(SystemColumns.FIELDS);
        return new Schema(fields);
    }

    /** The partition date first, then the user's partition columns. */
    public List<String> tablePartitionColumns() {
        List<String> all = new ArrayList<>();
        all.add(SystemColumns.PARTITION_DATE);
        all.addAll(partitionColumns);
        return all;
    }

    private static Map<String, Field> validateColumns(Schema schema) {
        if (schema.getFields().isEmpty()) {
            throw new InvalidInputException("schema", "a dataset needs at least one column");
        }
        Map<String, Field> byName = new HashMap<>();
        Set<String> lowerCase = new HashSet<>();
        for (Field field : schema.getFields()) {
            String name = field.getName();
            if (SystemColumns.isReserved(name.toLowerCase(Locale.ROOT))) {
                throw new InvalidInputException("schema." + name,
                        "the prefix '" + SystemColumns.RESERVED_PREFIX + "' is reserved for system columns");
            }
            // Delta resolves column names case-insensitively: 'Id' and 'id' would be one column.
            if (!lowerCase.add(name.toLowerCase(Locale.ROOT))) {
                throw new InvalidInputException("schema." + name, "duplicate column name (names are case-insensitive)");
            }
            SupportedTypes.requireSupported("schema." + name, field);
            byName.put(name, field);
        }
        return byName;
    }

    private static void validatePartitionColumns(List<String> partitionColumns, Map<String, Field> columns) {
        if (new HashSet<>(partitionColumns).size() != partitionColumns.size()) {
            throw new InvalidInputException("partition_columns", "a column is listed twice");
        }
        if (partitionColumns.size() >= columns.size()) {
            throw new InvalidInputException("partition_columns", "at least one column must not be a partition column");
        }
        for (String name : partitionColumns) {
            Field field = requireColumn("partition_columns", name, columns);
            if (!SupportedTypes.isPartitionable(field.getType())) {
                throw new InvalidInputException("partition_columns",
                        "'" + name + "' has type " + field.getType()
                                + "; partition columns must be bool, integer, string, date, timestamp or decimal");
            }
        }
    }

    private static void requireOrderable(String option, List<String> names, Map<String, Field> columns) {
        for (String name : names) {
            Field field = requireColumn(option, name, columns);
            if (!SupportedTypes.isOrderable(field.getType())) {
                throw new InvalidInputException(option, "'" + name + "' has type " + field.getType() + ", which has no order");
            }
        }
    }

    private static Field requireColumn(String option, String name, Map<String, Field> columns) {
        Field field = columns.get(name);
        if (field == null) {
            throw new InvalidInputException(option, "no column named '" + name + "' in the schema");
        }
        return field;
    }
}
