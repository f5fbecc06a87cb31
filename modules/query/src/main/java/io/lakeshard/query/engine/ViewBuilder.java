package io.lakeshard.query.engine;

import static io.lakeshard.arrow.DuckDbTypes.sqlType;
import static io.lakeshard.query.engine.DuckTypes.quote;
import static io.lakeshard.query.engine.DuckTypes.string;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.storage.dataset.TableSchema;
import io.lakeshard.storage.table.DataFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * The SELECT a per-query view runs: the pinned files, grouped by partition values and by which columns they hold,
 * each group read with {@code read_parquet} and given the table's logical column names. Partition values come from the
 * log, not from paths, and columns added after a file was written read as typed NULLs.
 */
final class ViewBuilder {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ViewBuilder() {}

    static String select(TableSchema schema, List<DataFile> files, Function<DataFile, Path> localPath) {
        Map<Group, List<String>> groups = new LinkedHashMap<>();
        for (DataFile file : files) {
            groups.computeIfAbsent(new Group(file.partitionValues(), presentColumns(schema, file)), g -> new ArrayList<>())
                    .add(localPath.apply(file).toString());
        }
        if (groups.isEmpty()) {
            return emptySelect(schema);
        }
        List<String> selects = new ArrayList<>();
        for (Map.Entry<Group, List<String>> group : groups.entrySet()) {
            selects.add(groupSelect(schema, group.getKey(), group.getValue()));
        }
        return String.join("\nUNION ALL\n", selects);
    }

    private static String groupSelect(TableSchema schema, Group group, List<String> paths) {
        List<String> columns = new ArrayList<>();
        for (Field field : schema.logical().getFields()) {
            String name = field.getName();
            String physical = schema.physicalName(name);
            if (schema.isPartitionColumn(name)) {
                String value = group.partitionValues().get(physical);
                columns.add((value == null ? "NULL" : partitionLiteral(field, value)) + "::" + sqlType(field) + " AS " + quote(name));
            } else if (group.presentColumns().contains(physical)) {
                columns.add(quote(physical) + " AS " + quote(name));
            } else {
                columns.add("NULL::" + sqlType(field) + " AS " + quote(name));
            }
        }
        List<String> quotedPaths = paths.stream().map(DuckTypes::string).toList();
        return "SELECT " + String.join(", ", columns) + " FROM read_parquet([" + String.join(", ", quotedPaths) + "])";
    }

    private static String partitionLiteral(Field field, String value) {
        if (field.getType() instanceof ArrowType.Timestamp timestamp && timestamp.getTimezone() != null) {
            return string(value + "+00");
        }
        return string(value);
    }

    private static String emptySelect(TableSchema schema) {
        List<String> columns = schema.logical().getFields().stream()
                .map(field -> "NULL::" + sqlType(field) + " AS " + quote(field.getName()))
                .toList();
        return "SELECT " + String.join(", ", columns) + " WHERE false";
    }

    /**
     * The physical columns a file holds. Lakeshard's writer records a null count for every column it wrote; a file
     * without statistics is assumed to hold them all.
     */
    private static Set<String> presentColumns(TableSchema schema, DataFile file) {
        Set<String> present = new HashSet<>();
        JsonNode nullCount = null;
        if (file.statsJson() != null) {
            try {
                nullCount = JSON.readTree(file.statsJson()).get("nullCount");
            } catch (JsonProcessingException e) {
                nullCount = null;
            }
        }
        for (TableSchema.FieldPair column : schema.dataColumns()) {
            String physical = column.physical().getName();
            if (nullCount == null || nullCount.has(physical)) {
                present.add(physical);
            }
        }
        return present;
    }

    private record Group(Map<String, String> partitionValues, Set<String> presentColumns) {}
}
