package io.lakeshard.client.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Text rows (CSV with a header line, or JSON objects one per line) into Arrow batches of a dataset's schema.
 * Scalar columns only; nested columns are for the SDK. A bad value names its line and column.
 */
final class TextRows {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Schema schema;
    private final BufferAllocator allocator;
    private List<String> csvHeader;

    TextRows(Schema schema, BufferAllocator allocator) {
        for (Field field : schema.getFields()) {
            if (!field.getChildren().isEmpty()) {
                throw new IllegalArgumentException("column '" + field.getName() + "' is " + field.getType()
                        + ": the CLI writes scalar columns only; use the Java SDK for nested data");
            }
        }
        this.schema = schema;
        this.allocator = allocator;
    }

    /** Reads the CSV header: the columns, in their order in the file. */
    void csvHeader(String line) {
        csvHeader = splitCsv(line);
        for (String column : csvHeader) {
            if (schema.getFields().stream().noneMatch(f -> f.getName().equals(column))) {
                throw new IllegalArgumentException("CSV header: no column '" + column + "' in the dataset");
            }
        }
    }

    VectorSchemaRoot csv(List<String> lines, long firstLine) {
        return filled(lines.size(), root -> {
            for (int r = 0; r < lines.size(); r++) {
                List<String> values = splitCsv(lines.get(r));
                if (values.size() != csvHeader.size()) {
                    throw new IllegalArgumentException("line " + (firstLine + r) + ": " + values.size() + " values, the header has " + csvHeader.size());
                }
                for (int c = 0; c < values.size(); c++) {
                    set(root.getVector(csvHeader.get(c)), r, values.get(c).isEmpty() ? null : values.get(c), firstLine + r);
                }
            }
        });
    }

    VectorSchemaRoot jsonLines(List<String> lines, long firstLine) {
        return filled(lines.size(), root -> {
            for (int r = 0; r < lines.size(); r++) {
                JsonNode object;
                try {
                    object = JSON.readTree(lines.get(r));
                } catch (JsonProcessingException e) {
                    throw new IllegalArgumentException("not a JSON object per line: " + e.getOriginalMessage());
                }
                for (Field field : schema.getFields()) {
                    JsonNode value = object.get(field.getName());
                    set(root.getVector(field.getName()), r, value == null || value.isNull() ? null : value.asText(), firstLine + r);
                }
            }
        });
    }

    /** A batch of {@code rows} rows, all null until {@code fill} sets them; nothing stays allocated if it throws. */
    private VectorSchemaRoot filled(int rows, Consumer<VectorSchemaRoot> fill) {
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        try {
            root.allocateNew();
            for (FieldVector vector : root.getFieldVectors()) {
                for (int r = 0; r < rows; r++) {
                    vector.setNull(r);
                }
            }
            fill.accept(root);
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
        root.getFieldVectors().forEach(v -> v.setValueCount(rows));
        root.setRowCount(rows);
        return root;
    }

    private static void set(FieldVector vector, int row, String text, long line) {
        if (text == null) {
            vector.setNull(row);
            return;
        }
        try {
            if (vector instanceof VarCharVector v) {
                v.setSafe(row, text.getBytes(StandardCharsets.UTF_8));
            } else if (vector instanceof LargeVarCharVector v) {
                v.setSafe(row, text.getBytes(StandardCharsets.UTF_8));
            } else if (vector instanceof BigIntVector v) {
                v.setSafe(row, Long.parseLong(text));
            } else if (vector instanceof IntVector v) {
                v.setSafe(row, Integer.parseInt(text));
            } else if (vector instanceof SmallIntVector v) {
                v.setSafe(row, Short.parseShort(text));
            } else if (vector instanceof TinyIntVector v) {
                v.setSafe(row, Byte.parseByte(text));
            } else if (vector instanceof Float8Vector v) {
                v.setSafe(row, Double.parseDouble(text));
            } else if (vector instanceof Float4Vector v) {
                v.setSafe(row, Float.parseFloat(text));
            } else if (vector instanceof BitVector v) {
                v.setSafe(row, Boolean.parseBoolean(text) ? 1 : 0);
            } else if (vector instanceof DecimalVector v) {
                v.setSafe(row, new BigDecimal(text).setScale(v.getScale()));
            } else if (vector instanceof DateDayVector v) {
                v.setSafe(row, (int) LocalDate.parse(text).toEpochDay());
            } else if (vector instanceof TimeStampVector v) {
                v.setSafe(row, micros(text));
            } else {
                throw new IllegalArgumentException("the CLI cannot write " + vector.getField().getType());
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("line " + line + ", column '" + vector.getName() + "': cannot read '" + text
                    + "' as " + vector.getField().getType() + " (" + e.getMessage() + ")");
        }
    }

    /** ISO-8601 with or without a zone (no zone: UTC), or microseconds since the epoch. */
    private static long micros(String text) {
        if (text.matches("-?\\d+")) {
            return Long.parseLong(text);
        }
        Instant instant = text.endsWith("Z") || text.matches(".*[+-]\\d\\d:\\d\\d$")
                ? OffsetDateTime.parse(text.replace(' ', 'T')).toInstant()
                : LocalDateTime.parse(text.replace(' ', 'T')).toInstant(ZoneOffset.UTC);
        // Not ChronoUnit.MICROS.between: it counts through nanoseconds and overflows outside 1677-2262.
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1000);
    }

    /** RFC 4180 fields: commas, and double quotes around fields that hold commas or quotes. */
    static List<String> splitCsv(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        fields.add(field.toString());
        return fields;
    }
}
