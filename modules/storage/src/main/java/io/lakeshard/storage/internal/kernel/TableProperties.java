package io.lakeshard.storage.internal.kernel;

import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.WriterOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * What a table records about itself beyond Delta's schema, as table properties: the exact Arrow schema and the
 * writer options, so any node can write or optimize a table from its log alone.
 */
public final class TableProperties {
    public static final String ARROW_SCHEMA = "lakeshard.arrowSchema";
    public static final String EVENT_TIME_COLUMN = "lakeshard.eventTimeColumn";
    public static final String BLOOM_FILTER_COLUMNS = "lakeshard.bloomFilterColumns";
    public static final String SORT_COLUMNS = "lakeshard.sortColumns";
    public static final String Z_ORDER_COLUMNS = "lakeshard.zOrderColumns";
    public static final String UNIQUE_KEY_COLUMNS = "lakeshard.uniqueKeyColumns";
    public static final String TARGET_FILE_SIZE = "lakeshard.targetFileSizeBytes";
    public static final String COMPRESSION_LEVEL = "lakeshard.compressionLevel";
    public static final String CHECKPOINT_INTERVAL = "delta.checkpointInterval";
    public static final String LOG_RETENTION = "delta.logRetentionDuration";
    public static final String EXPIRED_LOG_CLEANUP = "delta.enableExpiredLogCleanup";
    public static final String COLUMN_MAPPING_MODE = "delta.columnMapping.mode";
    public static final String MAX_COLUMN_ID = "delta.columnMapping.maxColumnId";

    private TableProperties() {}

    public static Map<String, String> forCreate(DatasetDefinition definition, int checkpointInterval, Duration logRetention) {
        Map<String, String> properties = new HashMap<>(writerOptions(definition.writerOptions()));
        properties.put(ARROW_SCHEMA, definition.tableSchema().toJson());
        definition.eventTimeColumn().ifPresent(column -> properties.put(EVENT_TIME_COLUMN, column));
        properties.put(CHECKPOINT_INTERVAL, String.valueOf(checkpointInterval));
        properties.put(LOG_RETENTION, "interval " + Math.max(1, logRetention.toMinutes()) + " minutes");
        properties.put(EXPIRED_LOG_CLEANUP, "true");
        return properties;
    }

    private static Map<String, String> writerOptions(WriterOptions options) {
        Map<String, String> properties = new HashMap<>();
        properties.put(BLOOM_FILTER_COLUMNS, String.join(",", options.bloomFilterColumns()));
        properties.put(SORT_COLUMNS, String.join(",", options.sortColumns()));
        properties.put(Z_ORDER_COLUMNS, String.join(",", options.zOrderColumns()));
        properties.put(UNIQUE_KEY_COLUMNS, String.join(",", options.uniqueKeyColumns()));
        properties.put(TARGET_FILE_SIZE, String.valueOf(options.targetFileSizeBytes()));
        properties.put(COMPRESSION_LEVEL, String.valueOf(options.compressionLevel()));
        return properties;
    }

    public static Schema arrowSchema(Map<String, String> properties) {
        String json = properties.get(ARROW_SCHEMA);
        if (json == null) {
            return null;
        }
        try {
            return Schema.fromJSON(json);
        } catch (IOException e) {
            throw new UncheckedIOException("malformed " + ARROW_SCHEMA, e);
        }
    }

    public static WriterOptions writerOptions(Map<String, String> properties) {
        WriterOptions defaults = WriterOptions.defaults();
        return new WriterOptions(
                list(properties.get(BLOOM_FILTER_COLUMNS)),
                list(properties.get(SORT_COLUMNS)),
                list(properties.get(Z_ORDER_COLUMNS)),
                Optional.ofNullable(properties.get(TARGET_FILE_SIZE)).map(Long::parseLong).orElse(defaults.targetFileSizeBytes()),
                Optional.ofNullable(properties.get(COMPRESSION_LEVEL)).map(Integer::parseInt).orElse(defaults.compressionLevel()),
                list(properties.get(UNIQUE_KEY_COLUMNS)));
    }

    /** The log retention as this class writes it ("interval N minutes"); Delta's default of 30 days otherwise. */
    public static Duration logRetention(Map<String, String> properties) {
        String value = properties.get(LOG_RETENTION);
        if (value != null) {
            String[] parts = value.trim().split("\\s+");
            if (parts.length == 3 && parts[0].equals("interval") && parts[2].startsWith("minute")) {
                return Duration.ofMinutes(Long.parseLong(parts[1]));
            }
        }
        return Duration.ofDays(30);
    }

    public static Optional<String> eventTimeColumn(Map<String, String> properties) {
        return Optional.ofNullable(properties.get(EVENT_TIME_COLUMN));
    }

    private static List<String> list(String value) {
        if (value == null || value.isEmpty()) {
            return List.of();
        }
        return Arrays.asList(value.split(","));
    }
}
