package io.lakeshard.storage.dataset;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.internal.schema.SystemColumns;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A table's columns as users see them ({@code logical}) and as they are named in Parquet files ({@code physical}).
 * The two have the same shape; they differ only once column mapping is on, where added columns get unique physical
 * names so a dropped and re-added column can never resurrect old values.
 */
public record TableSchema(Schema logical, Schema physical, List<String> partitionColumns, boolean columnMapping) {
    /** Arrow field metadata key that carries a Parquet field id. */
    public static final String PARQUET_FIELD_ID = "PARQUET:field_id";

    public TableSchema {
        requireNonNull(logical, "logical is null");
        requireNonNull(physical, "physical is null");
        partitionColumns = List.copyOf(requireNonNull(partitionColumns, "partitionColumns is null"));
        if (logical.getFields().size() != physical.getFields().size()) {
            throw new IllegalArgumentException("logical and physical schemas differ in shape");
        }
    }

    /** A schema without column mapping: physical names are the logical names. */
    public static TableSchema unmapped(Schema logical, List<String> partitionColumns) {
        return new TableSchema(logical, logical, partitionColumns, false);
    }

    /** The top-level column of that name, or null. */
    public Field logicalField(String name) {
        return logical.getFields().stream().filter(f -> f.getName().equals(name)).findFirst().orElse(null);
    }

    public String physicalName(String logicalName) {
        List<Field> fields = logical.getFields();
        for (int i = 0; i < fields.size(); i++) {
            if (fields.get(i).getName().equals(logicalName)) {
                return physical.getFields().get(i).getName();
            }
        }
        throw new IllegalArgumentException("no column " + logicalName);
    }

    public boolean isPartitionColumn(String logicalName) {
        return partitionColumns.contains(logicalName);
    }

    /** Logical and physical fields of the columns stored in data files (partition values live in paths). */
    public List<FieldPair> dataColumns() {
        List<FieldPair> pairs = new ArrayList<>();
        List<Field> fields = logical.getFields();
        for (int i = 0; i < fields.size(); i++) {
            if (!isPartitionColumn(fields.get(i).getName())) {
                pairs.add(new FieldPair(fields.get(i), physical.getFields().get(i)));
            }
        }
        return pairs;
    }

    public List<String> columnNames() {
        return logical.getFields().stream().map(Field::getName).toList();
    }

    public static Optional<Integer> fieldId(Field physicalField) {
        Map<String, String> metadata = physicalField.getMetadata();
        String id = metadata == null ? null : metadata.get(PARQUET_FIELD_ID);
        return Optional.ofNullable(id).map(Integer::valueOf);
    }

    /** The user columns only: the schema a client writes batches in. */
    public Schema userSchema() {
        return new Schema(logical.getFields().stream().filter(f -> !SystemColumns.isReserved(f.getName())).toList());
    }

    /** A logical field paired with its physical twin. */
    public record FieldPair(Field logical, Field physical) {}
}
