package io.lakeshard.query.engine;

import static io.lakeshard.arrow.DuckDbTypes.sqlType;
import static io.lakeshard.query.engine.DuckTypes.quote;
import static io.lakeshard.query.engine.DuckTypes.string;

import io.lakeshard.storage.dataset.TableSchema;
import io.lakeshard.storage.table.DataFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * The SELECT a per-query view runs: the pinned files, grouped by partition values and by which columns they hold,
 * each group read with {@code read_parquet} and given the table's logical column names and types, nested fields
 * included. Partition values come from the log, not from paths; columns added after a file was written read as typed
 * NULLs; a file with a deletion vector is read alone, without the row positions it deletes.
 */
final class ViewBuilder {
    private ViewBuilder() {}

    /**
     * @param columns the physical columns each file holds ({@link FileColumns})
     * @param deletedRows the table, with one BIGINT column {@code pos}, that holds the row positions a file's deletion
     *     vector deletes; asked only of files that have one
     * @param systemColumns whether the view shows the system columns ({@code _ls_...}): only when the statement names
     *     one, so that {@code SELECT *} returns the user's columns, which can be written back as they are
     */
    static String select(TableSchema schema, List<DataFile> files, Function<DataFile, Path> localPath,
            Function<DataFile, Set<String>> columns, Function<DataFile, String> deletedRows, boolean systemColumns) {
        Map<Group, List<String>> groups = new LinkedHashMap<>();
        for (DataFile file : files) {
            String deleted = file.deletionVector().isPresent() ? deletedRows.apply(file) : null;
            groups.computeIfAbsent(new Group(file.partitionValues(), columns.apply(file), deleted), g -> new ArrayList<>())
                    .add(localPath.apply(file).toString());
        }
        if (groups.isEmpty()) {
            return emptySelect(schema, systemColumns);
        }
        List<String> selects = new ArrayList<>();
        for (Map.Entry<Group, List<String>> group : groups.entrySet()) {
            selects.add(groupSelect(schema, group.getKey(), group.getValue(), systemColumns));
        }
        return String.join("\nUNION ALL\n", selects);
    }

    private static String groupSelect(TableSchema schema, Group group, List<String> paths, boolean systemColumns) {
        List<String> columns = new ArrayList<>();
        List<Field> physicalFields = schema.physical().getFields();
        for (int i = 0; i < physicalFields.size(); i++) {
            Field field = schema.logical().getFields().get(i);
            String name = field.getName();
            if (!systemColumns && TableSchema.isSystemColumn(name)) {
                continue;
            }
            String physical = physicalFields.get(i).getName();
            if (schema.isPartitionColumn(name)) {
                String value = group.partitionValues().get(physical);
                columns.add((value == null ? "NULL" : partitionLiteral(field, value)) + "::" + sqlType(field) + " AS " + quote(name));
            } else if (group.presentColumns().contains(physical)) {
                // The cast costs nothing where the file has the column's type, and reads what other writers chose
                // (Spark's INT96 timestamps) as the table's type.
                columns.add("CAST(" + logicalNames(quote(physical), field, physicalFields.get(i), 0) + " AS " + sqlType(field) + ") AS "
                        + quote(name));
            } else {
                columns.add("NULL::" + sqlType(field) + " AS " + quote(name));
            }
        }
        List<String> quotedPaths = paths.stream().map(DuckTypes::string).toList();
        String select = "SELECT " + String.join(", ", columns) + " FROM read_parquet([" + String.join(", ", quotedPaths) + "]";
        if (group.deletedRows() == null) {
            return select + ")";
        }
        // Deletion vectors count a file's rows from 0 in file order, as DuckDB's file_row_number does.
        return select + ", file_row_number = true) WHERE file_row_number NOT IN (SELECT pos FROM " + quote(group.deletedRows()) + ")";
    }

    /**
     * The expression that reads a column stored under physical names as its logical shape. Column mapping names every
     * struct field of an added column physically, at every depth (inside lists and map values too); DuckDB casts
     * structs by name, so each renamed struct is rebuilt field by field. Columns without renames read as they are.
     */
    private static String logicalNames(String source, Field logical, Field physical, int depth) {
        if (sameNames(logical, physical)) {
            return source;
        }
        String element = "e" + depth;
        return switch (logical.getType().getTypeID()) {
            case Struct -> {
                List<String> fields = new ArrayList<>();
                for (int i = 0; i < logical.getChildren().size(); i++) {
                    Field child = logical.getChildren().get(i);
                    Field physicalChild = physical.getChildren().get(i);
                    fields.add(quote(child.getName()) + " := " + logicalNames(
                            "struct_extract(" + source + ", " + string(physicalChild.getName()) + ")", child, physicalChild, depth + 1));
                }
                yield "CASE WHEN " + source + " IS NULL THEN NULL ELSE struct_pack(" + String.join(", ", fields) + ") END";
            }
            case List -> "list_transform(" + source + ", lambda " + element + ": "
                    + logicalNames(element, logical.getChildren().get(0), physical.getChildren().get(0), depth + 1) + ")";
            case Map -> {
                List<Field> entry = logical.getChildren().get(0).getChildren();
                List<Field> physicalEntry = physical.getChildren().get(0).getChildren();
                yield "map_from_entries(list_transform(map_entries(" + source + "), lambda " + element + ": struct_pack("
                        + "key := " + logicalNames(element + ".key", entry.get(0), physicalEntry.get(0), depth + 1) + ", "
                        + "value := " + logicalNames(element + ".value", entry.get(1), physicalEntry.get(1), depth + 1) + ")))";
            }
            default -> source;
        };
    }

    /** Whether the two fields' children are named alike at every depth (the fields' own names are not compared). */
    private static boolean sameNames(Field logical, Field physical) {
        for (int i = 0; i < logical.getChildren().size(); i++) {
            Field child = logical.getChildren().get(i);
            Field physicalChild = physical.getChildren().get(i);
            if (!child.getName().equals(physicalChild.getName()) || !sameNames(child, physicalChild)) {
                return false;
            }
        }
        return true;
    }

    private static String partitionLiteral(Field field, String value) {
        if (field.getType() instanceof ArrowType.Timestamp timestamp && timestamp.getTimezone() != null) {
            return string(value + "+00");
        }
        return string(value);
    }

    private static String emptySelect(TableSchema schema, boolean systemColumns) {
        List<String> columns = schema.logical().getFields().stream()
                .filter(field -> systemColumns || !TableSchema.isSystemColumn(field.getName()))
                .map(field -> "NULL::" + sqlType(field) + " AS " + quote(field.getName()))
                .toList();
        return "SELECT " + String.join(", ", columns) + " WHERE false";
    }

    /** @param deletedRows the table of the group's one file's deleted row positions, or null: files without a vector */
    private record Group(Map<String, String> partitionValues, Set<String> presentColumns, String deletedRows) {}
}
