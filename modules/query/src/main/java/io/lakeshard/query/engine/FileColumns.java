package io.lakeshard.query.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.storage.dataset.TableSchema;
import io.lakeshard.storage.table.DataFile;
import io.lakeshard.storage.table.TableSnapshot;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Which of a table's physical columns each data file holds: a file written before a column was added reads it as
 * NULL. The null counts in the log say, where they name every column; Lakeshard's writer records one for each column a
 * file holds, so in its own tables a column they leave out is not in the file. Other writers leave some out (Spark
 * counts the first 32 columns only), so for their files that the counts do not settle the Parquet footers say, all
 * read in one statement.
 */
final class FileColumns {
    private static final ObjectMapper JSON = new ObjectMapper();

    private FileColumns() {}

    /** The physical columns of each file, by its path in the log. */
    static Map<String, Set<String>> of(Connection connection, TableSnapshot snapshot, List<DataFile> files,
            Function<DataFile, Path> localPath) throws SQLException {
        TableSchema schema = snapshot.schema();
        Set<String> all = new HashSet<>();
        schema.dataColumns().forEach(column -> all.add(column.physical().getName()));
        Map<String, Set<String>> columns = new HashMap<>();
        Map<String, DataFile> unsettled = new LinkedHashMap<>();
        for (DataFile file : files) {
            JsonNode nullCount = nullCount(file);
            if (nullCount == null && snapshot.createdByLakeshard()) {
                columns.put(file.path(), all);
                continue;
            }
            Set<String> named = new HashSet<>();
            if (nullCount != null) {
                all.stream().filter(nullCount::has).forEach(named::add);
            }
            if (named.size() == all.size() || snapshot.createdByLakeshard()) {
                columns.put(file.path(), named);
            } else {
                unsettled.put(localPath.apply(file).toString(), file);
            }
        }
        if (!unsettled.isEmpty()) {
            footerColumns(connection, unsettled.keySet()).forEach((local, names) -> {
                names.retainAll(all);
                columns.put(unsettled.get(local).path(), names);
            });
        }
        return columns;
    }

    private static JsonNode nullCount(DataFile file) {
        if (file.statsJson() == null) {
            return null;
        }
        try {
            return JSON.readTree(file.statsJson()).get("nullCount");
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /**
     * The top-level column names of each file, by local path. {@code parquet_schema} lists a file's schema elements
     * depth first after its root, each with its number of children; the top level is the root's children.
     */
    private static Map<String, Set<String>> footerColumns(Connection connection, Set<String> paths) throws SQLException {
        Map<String, Set<String>> columns = new HashMap<>();
        Map<String, Deque<Integer>> open = new HashMap<>();
        String list = String.join(", ", paths.stream().map(DuckTypes::string).toList());
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT file_name, name, num_children FROM parquet_schema([" + list + "])")) {
            while (rs.next()) {
                String file = rs.getString(1);
                int children = rs.getInt(3);
                Deque<Integer> remaining = open.get(file);
                if (remaining == null) {
                    open.put(file, new ArrayDeque<>(List.of(children)));
                    columns.put(file, new HashSet<>());
                    continue;
                }
                if (remaining.size() == 1) {
                    columns.get(file).add(rs.getString(2));
                }
                remaining.push(remaining.pop() - 1);
                if (children > 0) {
                    remaining.push(children);
                }
                while (!remaining.isEmpty() && remaining.peek() == 0) {
                    remaining.pop();
                }
            }
        }
        return columns;
    }
}
