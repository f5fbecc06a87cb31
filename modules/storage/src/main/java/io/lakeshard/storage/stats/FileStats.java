package io.lakeshard.storage.stats;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.storage.internal.stats.StatsCollector;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A data file's statistics for its top-level columns, keyed by logical name: what scan planning needs. Columns
 * without statistics (nested, binary, or files written before the column existed) are absent.
 */
public record FileStats(long numRecords, Map<String, ColumnStats> columns) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public FileStats {
        columns = Map.copyOf(requireNonNull(columns, "columns is null"));
    }

    public Optional<ColumnStats> column(String logicalName) {
        return Optional.ofNullable(columns.get(logicalName));
    }

    /** min and max are null where unknown; nullCount is -1 where unknown. */
    public record ColumnStats(Comparable<?> min, Comparable<?> max, long nullCount) {}

    /**
     * Reads the Delta stats JSON of a file. {@code physicalNames} maps each logical top-level column to its name in
     * the file, which is the key the log uses.
     */
    public static FileStats parse(String json, Schema logical, Map<String, String> physicalNames) {
        if (json == null || json.isEmpty()) {
            return new FileStats(-1, Map.of());
        }
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("malformed file statistics: " + json, e);
        }
        JsonNode min = root.path("minValues");
        JsonNode max = root.path("maxValues");
        JsonNode nulls = root.path("nullCount");
        Map<String, ColumnStats> columns = new HashMap<>();
        for (Field field : logical.getFields()) {
            String physical = physicalNames.getOrDefault(field.getName(), field.getName());
            ArrowType type = field.getType();
            boolean orderable = field.getChildren().isEmpty() && StatsCollector.hasMinMax(type);
            Comparable<?> minValue = orderable && min.has(physical) && !min.get(physical).isNull()
                    ? StatValues.fromJson(type, min.get(physical)) : null;
            Comparable<?> maxValue = orderable && max.has(physical) && !max.get(physical).isNull()
                    ? StatValues.fromJson(type, max.get(physical)) : null;
            long nullCount = nulls.has(physical) && nulls.get(physical).isNumber() ? nulls.get(physical).asLong() : -1;
            if (minValue != null || maxValue != null || nullCount >= 0) {
                columns.put(field.getName(), new ColumnStats(minValue, maxValue, nullCount));
            }
        }
        return new FileStats(root.path("numRecords").asLong(-1), columns);
    }
}
