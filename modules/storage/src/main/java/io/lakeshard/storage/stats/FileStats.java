package io.lakeshard.storage.stats;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.lakeshard.storage.internal.stats.StatsCollector;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A data file's statistics for its top-level columns, keyed by logical name: what scan planning needs. Columns
 * without statistics (nested, binary, or files written before the column existed) are absent.
 */
public record FileStats(long numRecords, Map<String, ColumnStats> columns) {
    private static final JsonFactory JSON = new JsonFactory();

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
        return reader(logical, physicalNames).parse(json);
    }

    /** A reader of the statistics of a table's files, for {@link #parse}: a snapshot's many files share one. */
    public static Reader reader(Schema logical, Map<String, String> physicalNames) {
        return new Reader(logical, physicalNames);
    }

    /** What a schema says of its columns' statistics, worked out once for all of a snapshot's files. Thread-safe. */
    public static final class Reader {
        private final List<Field> fields;
        private final Map<String, Integer> byPhysical = new HashMap<>();
        private final boolean[] bounded;

        private Reader(Schema logical, Map<String, String> physicalNames) {
            fields = List.copyOf(logical.getFields());
            bounded = new boolean[fields.size()];
            for (int i = 0; i < fields.size(); i++) {
                Field field = fields.get(i);
                byPhysical.put(physicalNames.getOrDefault(field.getName(), field.getName()), i);
                bounded[i] = field.getChildren().isEmpty() && StatsCollector.hasMinMax(field.getType());
            }
        }

        public FileStats parse(String json) {
            if (json == null || json.isEmpty()) {
                return new FileStats(-1, Map.of());
            }
            int count = fields.size();
            Comparable<?>[] min = new Comparable<?>[count];
            Comparable<?>[] max = new Comparable<?>[count];
            long[] nullCount = new long[count];
            Arrays.fill(nullCount, -1);
            long numRecords = -1;
            // Streamed, not read as a tree: a cold load parses 100,000 of these, and the tree was most of that work.
            try (JsonParser parser = JSON.createParser(json)) {
                if (parser.nextToken() != JsonToken.START_OBJECT) {
                    throw new IOException("not a JSON object");
                }
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String section = parser.currentName();
                    JsonToken value = parser.nextToken();
                    switch (section) {
                        case "numRecords" -> numRecords = recordCount(parser, value);
                        case "minValues" -> readValues(parser, value, min);
                        case "maxValues" -> readValues(parser, value, max);
                        case "nullCount" -> readNullCounts(parser, value, nullCount);
                        default -> parser.skipChildren();
                    }
                }
                if (parser.currentToken() != JsonToken.END_OBJECT) {
                    throw new IOException("not a JSON object: " + parser.currentToken() + " where a key was expected");
                }
            } catch (IOException | RuntimeException e) {
                // A bound that is not of its column's type (a date that is not one, a decimal in words) as well.
                throw new UncheckedIOException("malformed file statistics: " + json,
                        e instanceof IOException io ? io : new IOException(e.getMessage(), e));
            }
            Map<String, ColumnStats> columns = new HashMap<>();
            for (int i = 0; i < count; i++) {
                if (min[i] != null || max[i] != null || nullCount[i] >= 0) {
                    columns.put(fields.get(i).getName(), new ColumnStats(min[i], max[i], nullCount[i]));
                }
            }
            return new FileStats(numRecords, columns);
        }

        /**
         * Hands each entry of the object at {@code start} that names a top-level column to {@code reader}; skips the
         * others (and anything but an object).
         */
        private void forEachColumn(JsonParser parser, JsonToken start, ColumnReader reader) throws IOException {
            if (start != JsonToken.START_OBJECT) {
                parser.skipChildren();
                return;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                Integer column = byPhysical.get(parser.currentName());
                JsonToken value = parser.nextToken();
                if (column == null) {
                    parser.skipChildren();
                } else {
                    reader.read(column, value);
                }
            }
        }

        /** Bounds of the orderable top-level columns; a nested column's object of its fields' bounds is skipped. */
        private void readValues(JsonParser parser, JsonToken start, Comparable<?>[] into) throws IOException {
            forEachColumn(parser, start, (column, value) -> {
                if (value.isScalarValue() && bounded[column]) {
                    // A key given twice counts as its last value, as in a JSON object: null makes the bound unknown again.
                    into[column] = value == JsonToken.VALUE_NULL ? null : StatValues.fromJson(fields.get(column).getType(), parser);
                } else {
                    parser.skipChildren();
                }
            });
        }

        private void readNullCounts(JsonParser parser, JsonToken start, long[] into) throws IOException {
            forEachColumn(parser, start, (column, value) -> {
                if (value.isScalarValue()) {
                    into[column] = value.isNumeric() ? parser.getValueAsLong() : -1;
                } else {
                    // A nested column's counts are an object of its fields' counts: the column's own is unknown.
                    parser.skipChildren();
                }
            });
        }
    }

    /** The count, or -1 where unknown; a count written as a string ({@code "7"}) is read too, as other writers may. */
    private static long recordCount(JsonParser parser, JsonToken value) throws IOException {
        if (!value.isScalarValue()) {
            parser.skipChildren();
            return -1;
        }
        return value == JsonToken.VALUE_NULL ? -1 : parser.getValueAsLong(-1);
    }

    /** Reads one value of a column's entry; the parser is at the value's first token. */
    private interface ColumnReader {
        void read(int column, JsonToken value) throws IOException;
    }
}
