package io.lakeshard.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.client.QueryResults;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.MapVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * One of the Delta tables Spark wrote under {@code src/test/resources/delta-fixtures} (see its README): the table,
 * the rows Spark read back from it and its schema, and query results in the same canonical form to compare with.
 * Rows are maps of column to value: numbers as {@link BigDecimal}s without trailing zeros, strings, booleans, dates
 * and times as ISO text in UTC (microseconds), binary as base64, structs and maps as maps, arrays as lists.
 */
record SparkFixture(String name, Path table, List<Map<String, Object>> expectedRows, List<String> columns, List<String> partitionColumns) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final DateTimeFormatter MICROS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS");

    static SparkFixture load(String name) {
        try {
            Path fixture = Path.of(SparkFixture.class.getResource("/delta-fixtures/" + name).toURI());
            List<Map<String, Object>> rows = new ArrayList<>();
            for (String line : Files.readAllLines(fixture.resolve("expected.jsonl"), StandardCharsets.UTF_8)) {
                @SuppressWarnings("unchecked")
                Map<String, Object> row = (Map<String, Object>) canonical(JSON.readTree(line));
                rows.add(row);
            }
            JsonNode schema = JSON.readTree(fixture.resolve("schema.json").toFile());
            List<String> columns = new ArrayList<>();
            schema.path("schema").path("fields").forEach(field -> columns.add(field.path("name").asText()));
            List<String> partitions = new ArrayList<>();
            schema.path("partitionColumns").forEach(column -> partitions.add(column.asText()));
            return new SparkFixture(name, fixture.resolve("table"), rows, columns, partitions);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Copies the table into {@code directory} (created), as a user would put it in an import directory. */
    Path copyTo(Path directory) throws IOException {
        return copyTo(directory, relative -> true);
    }

    /** Copies the table's files whose paths relative to it pass {@code which}, as a writer adding them would. */
    Path copyTo(Path directory, Predicate<String> which) throws IOException {
        try (Stream<Path> files = Files.walk(table)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String relative = table.relativize(file).toString();
                if (which.test(relative)) {
                    Files.createDirectories(directory.resolve(relative).getParent());
                    Files.copy(file, directory.resolve(relative));
                }
            }
        }
        return directory;
    }

    /** Every file under a directory with its size: what a test compares to see that nothing was written or deleted. */
    static Map<String, Long> listing(Path directory) throws IOException {
        Map<String, Long> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(directory)) {
            for (Path file : walk.filter(Files::isRegularFile).toList()) {
                files.put(directory.relativize(file).toString(), Files.size(file));
            }
        }
        return files;
    }

    /** Every row of a query's result, in order, in the canonical form of {@link #expectedRows}. */
    static List<Map<String, Object>> rows(QueryResults results) {
        List<Map<String, Object>> rows = new ArrayList<>();
        while (results.next()) {
            VectorSchemaRoot batch = results.batch();
            for (int row = 0; row < batch.getRowCount(); row++) {
                Map<String, Object> values = new LinkedHashMap<>();
                for (FieldVector vector : batch.getFieldVectors()) {
                    values.put(vector.getName(), value(vector, row));
                }
                rows.add(values);
            }
        }
        return rows;
    }

    private static Object canonical(JsonNode node) {
        if (node.isNull()) {
            return null;
        }
        if (node.isObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                map.put(field.getKey(), canonical(field.getValue()));
            }
            return map;
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>();
            node.forEach(element -> list.add(canonical(element)));
            return list;
        }
        if (node.isNumber()) {
            return node.decimalValue().stripTrailingZeros();
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        return node.asText();
    }

    private static Object value(FieldVector vector, int row) {
        if (vector.isNull(row)) {
            return null;
        }
        ArrowType type = vector.getField().getType();
        if (vector instanceof StructVector struct) {
            Map<String, Object> map = new LinkedHashMap<>();
            for (FieldVector child : struct.getChildrenFromFields()) {
                map.put(child.getName(), value(child, row));
            }
            return map;
        }
        if (vector instanceof MapVector map) {
            StructVector entries = (StructVector) map.getDataVector();
            Map<String, Object> values = new LinkedHashMap<>();
            for (int i = map.getElementStartIndex(row); i < map.getElementEndIndex(row); i++) {
                values.put(String.valueOf(value(entries.getChildrenFromFields().get(0), i)), value(entries.getChildrenFromFields().get(1), i));
            }
            return values;
        }
        if (vector instanceof ListVector list) {
            List<Object> values = new ArrayList<>();
            for (int i = list.getElementStartIndex(row); i < list.getElementEndIndex(row); i++) {
                values.add(value(list.getDataVector(), i));
            }
            return values;
        }
        if (vector instanceof TimeStampVector timestamp) {
            ArrowType.Timestamp unit = (ArrowType.Timestamp) type;
            if (unit.getUnit() != TimeUnit.MICROSECOND) {
                throw new IllegalStateException("expected microseconds, got " + type);
            }
            long micros = timestamp.get(row);
            Instant instant = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000);
            LocalDateTime time = LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
            return MICROS.format(time) + (unit.getTimezone() == null ? "" : "Z");
        }
        if (vector instanceof DateDayVector date) {
            return LocalDate.ofEpochDay(date.get(row)).toString();
        }
        if (vector instanceof Float4Vector floats) {
            return new BigDecimal(Float.toString(floats.get(row))).stripTrailingZeros();
        }
        if (vector instanceof Float8Vector doubles) {
            return BigDecimal.valueOf(doubles.get(row)).stripTrailingZeros();
        }
        if (vector instanceof DecimalVector decimal) {
            return decimal.getObject(row).stripTrailingZeros();
        }
        if (vector instanceof BitVector bits) {
            return bits.get(row) == 1;
        }
        Object value = vector.getObject(row);
        if (value instanceof Number number) {
            return new BigDecimal(number.toString()).stripTrailingZeros();
        }
        if (value instanceof byte[] bytes) {
            return Base64.getEncoder().encodeToString(bytes);
        }
        return value.toString();
    }
}
