package io.lakeshard.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.query.engine.EngineSettings;
import io.lakeshard.query.engine.QueryEngine;
import io.lakeshard.query.engine.QueryResult;
import io.lakeshard.storage.AllTypes;
import io.lakeshard.storage.TestTables;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QueryEngineTest {
    private Path dir;

    private BufferAllocator allocator;
    private Datasets datasets;
    private QueryEngine engine;
    private List<Map<String, Object>> allTypesRows;
    private DeltaTable regions;

    @BeforeAll
    void setUp(@TempDir Path tempDir) throws Exception {
        dir = tempDir;
        allocator = new RootAllocator();
        datasets = new Datasets(dir.resolve("storage"));
        engine = new QueryEngine(EngineSettings.defaults(dir.resolve("work"), List.of(dir.resolve("storage")))
                .withMemoryLimit("512MB").withThreads(2).withBatchRows(100), datasets, allocator);

        DeltaTable allTypes = datasets.create("acme", "main.test.all_types", DatasetDefinition.of(AllTypes.SCHEMA, List.of("region")));
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, 0, 200)) {
            allTypesRows = TestTables.rows(batch, true);
            TestTables.commit(allTypes, TestTables.write(allTypes, allocator, batch), new IdempotencyKey("w", 1));
        }
        regions = datasets.create("acme", "main.test.regions", DatasetDefinition.of(AllTypes.SCHEMA, List.of("i8")));
        for (int b = 0; b < 3; b++) {
            try (VectorSchemaRoot batch = AllTypes.batch(allocator, b * 1000L, 240)) {
                TestTables.commit(regions, TestTables.write(regions, allocator, batch), new IdempotencyKey("w", b));
            }
        }
        // Another tenant with a dataset of the same name and different rows.
        DeltaTable other = datasets.create("globex", "main.test.all_types", DatasetDefinition.of(AllTypes.SCHEMA, List.of("region")));
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, 50_000, 10)) {
            TestTables.commit(other, TestTables.write(other, allocator, batch), new IdempotencyKey("w", 1));
        }
    }

    @AfterAll
    void tearDown() throws Exception {
        engine.close();
        allocator.close();
    }

    private List<Map<String, Object>> run(QueryRequest request) {
        List<Map<String, Object>> rows = new ArrayList<>();
        try (QueryResult result = engine.execute(request)) {
            while (result.next()) {
                rows.addAll(TestTables.rows(result.batch(), false));
            }
        }
        return rows;
    }

    private List<Map<String, Object>> run(String tenant, String sql) {
        return run(QueryRequest.of("q-" + System.nanoTime(), tenant, sql));
    }

    @Test
    void selectStarIsTheUsersColumnsAndSystemColumnsOnlyWhenNamed() {
        try (QueryResult result = engine.execute(QueryRequest.of("star", "acme", "SELECT * FROM main.test.all_types"))) {
            assertEquals(AllTypes.SCHEMA.getFields().stream().map(Field::getName).toList(),
                    result.schema().getFields().stream().map(Field::getName).toList(), "what a write takes back as it is");
        }
        List<Map<String, Object>> named = run("acme", "SELECT _ls_batch_id, _ls_partition_date, id FROM main.test.all_types "
                + "WHERE _ls_batch_id IS NOT NULL ORDER BY id LIMIT 1");
        assertEquals(1, named.size());
        assertTrue(named.get(0).get("_ls_batch_id") != null && named.get(0).get("_ls_partition_date") != null, named.toString());
        QueryRejectedException unknown = assertThrows(QueryRejectedException.class,
                () -> run("acme", "SELECT * EXCLUDE (no_such_column) FROM main.test.all_types"));
        assertTrue(unknown.getMessage().contains("no_such_column"), "DuckDB's message: " + unknown.getMessage());
    }

    @Test
    void everyTypeComesBackAsWritten() {
        List<Map<String, Object>> rows = run("acme", "SELECT * EXCLUDE (_ls_ingest_time, _ls_partition_date, _ls_batch_id) "
                + "FROM main.test.all_types ORDER BY id");
        Comparator<Map<String, Object>> byId = Comparator.comparing(row -> (Long) row.get("id"));
        List<Map<String, Object>> expected = allTypesRows.stream().sorted(byId).toList();
        assertEquals(expected.size(), rows.size());
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(new TreeMap<>(expected.get(i)), new TreeMap<>(rows.get(i)), "row " + i);
        }
    }

    @Test
    void arrowTypesComeBackAsWrittenWhereDuckDbAllows() {
        // DuckDB has one string and one blob type, and names list elements "l": documented in docs/architecture.md.
        Map<String, ArrowType> differ = Map.of("text_large", ArrowType.Utf8.INSTANCE, "fixed", ArrowType.Binary.INSTANCE);
        try (QueryResult result = engine.execute(QueryRequest.of("types", "acme", "SELECT * FROM main.test.all_types"))) {
            for (Field written : AllTypes.SCHEMA.getFields()) {
                Field read = result.schema().findField(written.getName());
                assertEquals(differ.getOrDefault(written.getName(), written.getType()), read.getType(), written.getName());
                assertEquals(written.getChildren().stream().map(Field::getType).toList(),
                        read.getChildren().stream().map(Field::getType).toList(), written.getName());
            }
        }
    }

    @Test
    void tenantsSeeOnlyTheirOwnRowsUnderTheSameName() {
        assertEquals(200, run("acme", "SELECT id FROM main.test.all_types").size());
        List<Map<String, Object>> globex = run("globex", "SELECT min(id) AS low, count(*) AS n FROM main.test.all_types");
        assertEquals(50_000L, globex.get(0).get("low"));
        assertEquals(10L, globex.get(0).get("n"));
        assertThrows(UnknownTableException.class, () -> run("globex", "SELECT * FROM main.test.regions"));
    }

    @Test
    void aPartitionFilterOpensOnlyTheMatchingFiles() {
        int allFiles = regions.snapshot().files().size();
        // Rows, not a count: a count over partitions is answered from the log without opening a file (StatsAnswersTest).
        try (QueryResult result = engine.execute(QueryRequest.of("p1", "acme",
                "SELECT id FROM main.test.regions WHERE i8 = -50"))) {
            assertTrue(result.next());
            assertEquals(3, result.filesScanned().get(DatasetName.parse("main.test.regions")), "one file per write for i8 = -50 of " + allFiles);
            assertTrue(allFiles > 100);
        }
        try (QueryResult result = engine.execute(QueryRequest.of("p2", "acme",
                "SELECT count(*) AS n FROM main.test.regions r WHERE r.id BETWEEN 1000 AND 1100"))) {
            assertTrue(result.next());
            int files = result.filesScanned().values().iterator().next();
            assertTrue(files < allFiles / 2, "statistics prune by id: " + files + " of " + allFiles);
        }
        List<Map<String, Object>> pruned = run("acme", "SELECT count(*) AS n FROM main.test.regions WHERE i8 = -50 AND id >= 1000");
        List<Map<String, Object>> unpruned = run("acme", "SELECT count(*) AS n FROM main.test.regions WHERE i8 + 0 = -50 AND id + 0 >= 1000");
        assertEquals(unpruned, pruned, "pruning never changes the answer");
    }

    @Test
    void namesResolveAgainstTheRequestDefaults() {
        QueryRequest request = QueryRequest.of("d1", "acme", "SELECT count(*) AS n FROM all_types").withDefaults("main", "test");
        assertEquals(200L, run(request).get(0).get("n"));
        QueryRequest schemaQualified = QueryRequest.of("d2", "acme", "SELECT count(*) AS n FROM test.all_types t WHERE t.id < 10")
                .withDefaults("main", null);
        assertEquals(10L, run(schemaQualified).get(0).get("n"));
    }

    @Test
    void theRowLimitTruncatesAndSaysSo() {
        try (QueryResult result = engine.execute(QueryRequest.of("l1", "acme", "SELECT id FROM main.test.all_types").withRowLimit(150))) {
            long rows = 0;
            while (result.next()) {
                assertTrue(result.batch().getRowCount() <= 100, "bounded batches");
                rows += result.batch().getRowCount();
            }
            assertEquals(150, rows);
            assertTrue(result.truncated());
        }
        try (QueryResult result = engine.execute(QueryRequest.of("l2", "acme", "SELECT id FROM main.test.all_types").withRowLimit(200))) {
            while (result.next()) {
                assertFalse(result.truncated());
            }
            assertEquals(200, result.rows());
            assertFalse(result.truncated(), "exactly the limit is not truncated");
        }
    }

    @Test
    void latestLocalReadsTheCachedSnapshotAndLatestCommittedChecksTheLog() {
        DeltaTable table = datasets.create("acme", "main.test.fresh", DatasetDefinition.of(AllTypes.SCHEMA, List.of()));
        String count = "SELECT count(*) AS n FROM main.test.fresh";
        assertEquals(0L, run(QueryRequest.of("c1", "acme", count)).get(0).get("n"));
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, 0, 5)) {
            TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", 1));
        }
        assertEquals(0L, run(QueryRequest.of("c2", "acme", count).withConsistency(Consistency.LATEST_LOCAL)).get(0).get("n"),
                "the node's snapshot until something refreshes it");
        assertEquals(5L, run(QueryRequest.of("c3", "acme", count)).get(0).get("n"), "the log says 5");
        assertEquals(5L, run(QueryRequest.of("c4", "acme", count).withConsistency(Consistency.LATEST_LOCAL)).get(0).get("n"),
                "and the cache moved with it");
    }

    @Test
    void explainShowsNoStoragePaths() {
        String plan = engine.explain(QueryRequest.of("e1", "acme", "SELECT count(*) FROM main.test.regions WHERE i8 = -50"), true);
        assertFalse(plan.contains(dir.toString()), plan);
        assertTrue(plan.toUpperCase(Locale.ROOT).contains("PARQUET"), plan);
        List<Map<String, Object>> viaSql = run("acme", "EXPLAIN SELECT count(*) FROM main.test.regions");
        assertEquals(1, viaSql.size());
        assertFalse(viaSql.get(0).get("plan").toString().contains(dir.toString()));
    }
}
