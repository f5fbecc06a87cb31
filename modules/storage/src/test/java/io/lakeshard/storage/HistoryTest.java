package io.lakeshard.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.maintenance.Maintenance;
import io.lakeshard.storage.scan.ColumnPredicate;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each commit says in its commitInfo what it did, with Spark's operation names, parameters and metrics. */
class HistoryTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BufferAllocator allocator = new RootAllocator();

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        allocator.close();
    }

    private static JsonNode commitInfo(DeltaTable table, long version) throws IOException {
        List<JsonNode> infos = TestTables.logActions(table, version).stream()
                .filter(action -> action.has("commitInfo")).map(action -> action.get("commitInfo")).toList();
        assertEquals(1, infos.size(), "one commitInfo per commit");
        return infos.get(0);
    }

    private static long metric(JsonNode info, String name) {
        JsonNode value = info.path("operationMetrics").path(name);
        assertTrue(value.isTextual(), "metric " + name + " in " + info);
        return Long.parseLong(value.asText());
    }

    private static String parameter(JsonNode info, String name) {
        JsonNode value = info.path("operationParameters").path(name);
        assertTrue(value.isTextual(), "parameter " + name + " in " + info);
        return value.asText();
    }

    @Test
    void writesDeletesOptimizeExpiryAndSchemaChangesAreToldApart() throws IOException {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        DeltaTable table = TestTables.create(dir, "history", DatasetDefinition.of(AllTypes.SCHEMA, List.of()));
        for (int b = 0; b < 3; b++) {
            try (VectorSchemaRoot batch = AllTypes.batch(allocator, b * 10L, 10)) {
                TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", b));
            }
        }
        JsonNode write = commitInfo(table, 1);
        assertEquals("WRITE", write.get("operation").asText());
        assertEquals("Append", parameter(write, "mode"));
        assertEquals("[\"_ls_partition_date\"]", parameter(write, "partitionBy"));
        assertEquals("[{\"appId\":\"w\",\"sequence\":0,\"rows\":10}]", parameter(write, "idempotencyKeys"),
                "the keys it applied, with their rows: what a replay is answered with");
        assertEquals(1, metric(write, "numFiles"));
        assertEquals(10, metric(write, "numOutputRows"));
        assertTrue(metric(write, "numOutputBytes") > 0);

        Maintenance maintenance = new Maintenance(table, allocator);
        maintenance.deleteRows(List.of(ColumnPredicate.eq("id", 3L)));
        JsonNode delete = commitInfo(table, table.latestVersion());
        assertEquals("DELETE", delete.get("operation").asText());
        assertEquals("[\"(id = 3)\"]", parameter(delete, "predicate"));
        assertEquals(1, metric(delete, "numRemovedFiles"));
        assertEquals(1, metric(delete, "numAddedFiles"));
        assertEquals(1, metric(delete, "numDeletedRows"));
        assertEquals(9, metric(delete, "numCopiedRows"));
        assertEquals("false", delete.get("isBlindAppend").asText());

        maintenance.optimize();
        JsonNode optimize = commitInfo(table, table.latestVersion());
        assertEquals("OPTIMIZE", optimize.get("operation").asText());
        assertEquals("[]", parameter(optimize, "zOrderBy"));
        assertEquals("[]", parameter(optimize, "predicate"));
        assertEquals(3, metric(optimize, "numRemovedFiles"));
        assertEquals(1, metric(optimize, "numAddedFiles"));
        assertTrue(metric(optimize, "numRemovedBytes") > 0 && metric(optimize, "numAddedBytes") > 0);

        table.addColumns(List.of(new Field("extra", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
        JsonNode mapping = commitInfo(table, table.latestVersion() - 1);
        assertEquals("SET TBLPROPERTIES", mapping.get("operation").asText());
        assertEquals("{\"delta.columnMapping.mode\":\"name\"}", parameter(mapping, "properties"));
        JsonNode added = commitInfo(table, table.latestVersion());
        assertEquals("ADD COLUMNS", added.get("operation").asText());
        JsonNode columns = JSON.readTree(parameter(added, "columns"));
        assertEquals("extra", columns.get(0).get("column").get("name").asText());
        assertEquals("string", columns.get(0).get("column").get("type").asText());

        maintenance.expireBefore(today.plusDays(1));
        JsonNode expire = commitInfo(table, table.latestVersion());
        assertEquals("DELETE", expire.get("operation").asText());
        assertEquals("[\"(_ls_partition_date < '" + today.plusDays(1) + "')\"]", parameter(expire, "predicate"));
        assertEquals(1, metric(expire, "numRemovedFiles"));
        assertEquals(29, metric(expire, "numDeletedRows"));
        assertEquals(0, metric(expire, "numAddedFiles"));
    }
}
