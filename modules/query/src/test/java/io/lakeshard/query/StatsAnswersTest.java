package io.lakeshard.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.query.engine.EngineSettings;
import io.lakeshard.query.engine.QueryEngine;
import io.lakeshard.query.engine.QueryResult;
import io.lakeshard.storage.AllTypes;
import io.lakeshard.storage.TestTables;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.maintenance.Maintenance;
import io.lakeshard.storage.maintenance.Vacuum;
import io.lakeshard.storage.scan.ColumnPredicate;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Counts and bounds answered from the Delta log's file statistics: each answer is compared, schema and values, with
 * the same statement scanned by an engine that never answers from statistics, over the same snapshots.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StatsAnswersTest {
    private static final DatasetName ALL = DatasetName.parse("main.stats.facts");

    private BufferAllocator allocator;
    private Datasets datasets;
    private QueryEngine stats;
    private QueryEngine scan;

    @BeforeAll
    void setUp(@TempDir Path dir) throws Exception {
        allocator = new RootAllocator();
        datasets = new Datasets(dir.resolve("storage"));
        EngineSettings settings = EngineSettings.defaults(dir.resolve("work"), List.of(dir.resolve("storage")))
                .withMemoryLimit("256MB").withThreads(2).withBatchRows(100);
        stats = new QueryEngine(settings, datasets, allocator);
        scan = new QueryEngine(settings.withStatsAnswers(false), datasets, allocator);
        // Partitioned by region, whose null partition holds only rows null in every nullable column; the partition
        // date comes from ts, and is today's for rows without one.
        DeltaTable all = datasets.create("acme", ALL.toString(),
                DatasetDefinition.of(AllTypes.SCHEMA, List.of("region")).withEventTimeColumn("ts"));
        write(all, 3);
        datasets.create("acme", "main.stats.empty", DatasetDefinition.of(AllTypes.SCHEMA, List.of("region")));
    }

    @AfterAll
    void tearDown() throws Exception {
        stats.close();
        scan.close();
        allocator.close();
    }

    /** Versions 1..n, each one write of 200 rows with ids from 1000 times the write's number. */
    private void write(DeltaTable table, int writes) {
        for (int w = 0; w < writes; w++) {
            try (VectorSchemaRoot batch = AllTypes.batch(allocator, w * 1000L, 200)) {
                TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", w));
            }
        }
    }

    private record Answer(Schema schema, List<Map<String, Object>> rows, Map<DatasetName, Long> versions,
            Map<DatasetName, Integer> filesScanned) {}

    private static Answer run(QueryEngine engine, QueryRequest request) {
        try (QueryResult result = engine.execute(request)) {
            List<Map<String, Object>> rows = new ArrayList<>();
            while (result.next()) {
                rows.addAll(TestTables.rows(result.batch(), false));
            }
            return new Answer(result.schema(), rows, result.versions(), result.filesScanned());
        }
    }

    /**
     * The statistics' answer, checked to be the scan's: the same schema (also the one described before a run), rows
     * and versions, and no file read.
     */
    private Answer fromStats(QueryRequest request) {
        Answer scanned = run(scan, request);
        Answer answered = run(stats, request);
        assertEquals(scanned.schema(), answered.schema(), request.sql());
        List<String> names = answered.schema().getFields().stream().map(Field::getName).toList();
        if (names.stream().distinct().count() == names.size()) {
            // Described as a subquery, a statement's repeated names come back numbered (count_star()_1), scanned or not.
            assertEquals(stats.shape(request).schema(), answered.schema(), "the schema Flight SQL announces: " + request.sql());
        }
        assertEquals(scanned.rows(), answered.rows(), request.sql());
        assertEquals(scanned.versions(), answered.versions(), request.sql());
        assertEquals(scanned.versions().keySet(), answered.filesScanned().keySet(), request.sql());
        answered.filesScanned().values().forEach(files -> assertEquals(0, files, "no file read for " + request.sql()));
        return answered;
    }

    private Answer fromStats(String sql) {
        return fromStats(request(sql));
    }

    /** A statement the statistics do not answer: scanned as before, and still right. */
    private Answer scanned(String sql) {
        Answer scanned = run(scan, request(sql));
        Answer answered = run(stats, request(sql));
        assertEquals(scanned, answered, sql);
        return answered;
    }

    private static QueryRequest request(String sql) {
        return QueryRequest.of("q-" + System.nanoTime(), "acme", sql);
    }

    private static Map<String, Object> onlyRow(Answer answer) {
        assertEquals(1, answer.rows().size(), answer.toString());
        return answer.rows().get(0);
    }

    @Test
    void unfilteredCountsAndBoundsComeFromTheLog() {
        assertEquals(Map.of("count_star()", 600L), onlyRow(fromStats("SELECT count(*) FROM main.stats.facts")));
        assertEquals(Map.of("n", 600L, "lo", 0L, "hi", 2199L),
                onlyRow(fromStats("SELECT count(*) AS n, min(id) AS lo, max(id) AS hi FROM main.stats.facts")));
        // Names as DuckDB writes them (case, qualifiers, quoting, count(1), duplicates), every exact type.
        Map<String, Object> row = onlyRow(fromStats("SELECT COUNT(*), Count(1), count(i8), count(region), MIN(I32), max(t.i16), "
                + "min(i8), max(\"i8\"), min(dec_small), max(dec_small), min(day), max(day), min(region), max(region), "
                + "min(_ls_partition_date), count() FROM main.stats.facts AS t"));
        assertEquals(600L, row.get("count(1)"));
        assertTrue((Long) row.get("count(i8)") < 600, "nulls are not counted: " + row);
        assertEquals("us", row.get("max(region)"));
        fromStats("SELECT count(*), count(*) AS n, count(*) FROM main.stats.facts");
        fromStats(request("SELECT count(*) AS n FROM facts").withDefaults("main", "stats"));
    }

    @Test
    void partitionFiltersCountOnlyTheirPartitions() {
        long eu = (Long) onlyRow(fromStats("SELECT count(*) AS n FROM main.stats.facts WHERE region = 'eu'")).get("n");
        assertTrue(eu > 0 && eu < 600, "one region of three: " + eu);
        fromStats("SELECT count(*), min(id), max(id) FROM main.stats.facts WHERE region IN ('eu', 'ap') AND region <= 'eu'");
        fromStats("SELECT count(*) FROM main.stats.facts t WHERE t.region BETWEEN 'b' AND 'z' AND region IS NOT NULL");
        fromStats("SELECT count(*) FROM main.stats.facts WHERE 'us' > region");
        fromStats("SELECT count(*) FROM main.stats.facts WHERE region = 'nowhere'");
        // A system partition column, and a literal the column's type takes.
        LocalDate day = LocalDate.parse(onlyRow(scanned("SELECT min(_ls_partition_date)::VARCHAR AS d FROM main.stats.facts"))
                .get("d").toString());
        Answer dated = fromStats("SELECT count(*) AS n FROM main.stats.facts WHERE _ls_partition_date = DATE '" + day + "'");
        assertTrue((Long) onlyRow(dated).get("n") > 0, dated.toString());
        fromStats("SELECT count(*) AS n FROM main.stats.facts WHERE _ls_partition_date = '" + day + "' AND region = 'us'");
    }

    @Test
    void aColumnNullInEveryFileHasNoBounds() {
        // The null region's files hold only the rows that are null in every nullable column.
        Map<String, Object> row = onlyRow(fromStats("SELECT count(*) AS n, count(i32) AS c, min(i32) AS lo, max(day) AS hi, "
                + "min(region) AS r FROM main.stats.facts WHERE region IS NULL"));
        assertTrue((Long) row.get("n") > 0, row.toString());
        assertEquals(0L, row.get("c"));
        assertNull(row.get("lo"));
        assertNull(row.get("hi"));
        assertNull(row.get("r"));
    }

    @Test
    void anEmptyTableCountsZeroAndHasNoBounds() {
        Map<String, Object> row = onlyRow(fromStats("SELECT count(*) AS n, min(id) AS lo, max(dec_small) AS hi, "
                + "min(region) AS r FROM main.stats.empty"));
        assertEquals(0L, row.get("n"));
        assertNull(row.get("lo"));
        assertNull(row.get("hi"));
        assertNull(row.get("r"));
    }

    @Test
    void timeTravelCountsTheVersionItReads() {
        Answer first = fromStats("SELECT count(*) AS n, max(id) AS hi FROM main.stats.facts AT (VERSION => 1)");
        assertEquals(Map.of("n", 200L, "hi", 199L), onlyRow(first));
        assertEquals(1L, first.versions().get(ALL));
        Answer second = fromStats(request("SELECT count(*) AS n FROM main.stats.facts")
                .withTimeTravel(Map.of(ALL, TimeTravel.atVersion(2))));
        assertEquals(Map.of("n", 400L), onlyRow(second));
        assertEquals(2L, second.versions().get(ALL));
        assertThrows(VersionNotAvailableException.class, () -> run(stats, request("SELECT count(*) FROM main.stats.facts AT (VERSION => 99)")));
    }

    @Test
    void deletesOptimizeAndVacuumChangeTheAnswerAsTheyChangeTheScan() {
        DeltaTable table = datasets.create("acme", "main.stats.changing", DatasetDefinition.of(AllTypes.SCHEMA, List.of("region")));
        write(table, 3);
        String sql = "SELECT count(*) AS n, min(id) AS lo, max(id) AS hi, max(i32) AS i, count(dec_small) AS d "
                + "FROM main.stats.changing";
        Map<String, Object> before = onlyRow(fromStats(sql));
        Maintenance maintenance = new Maintenance(table, allocator);
        // Rewrites the first write's files without their lowest ids, and removes the top ids' files entirely.
        maintenance.deleteRows(List.of(ColumnPredicate.lt("id", 50L)));
        maintenance.deleteRows(List.of(ColumnPredicate.ge("id", 2000L)));
        Map<String, Object> deleted = onlyRow(fromStats(sql));
        assertNotEquals(before, deleted);
        assertEquals(Map.of("n", 350L, "lo", 50L, "hi", 1199L), Map.of("n", deleted.get("n"), "lo", deleted.get("lo"), "hi", deleted.get("hi")));
        maintenance.deleteRows(List.of(ColumnPredicate.eq("region", "eu")));
        fromStats(sql + " WHERE region = 'us'");
        long beforeOptimize = table.latestVersion();
        assertTrue(maintenance.optimize().filesAfter() < table.snapshotAt(beforeOptimize).files().size());
        Map<String, Object> optimized = onlyRow(fromStats(sql));
        assertEquals(onlyRow(fromStats(sql + " AT (VERSION => " + beforeOptimize + ")")), optimized, "optimize moves rows, not values");
        assertEquals(600L, onlyRow(fromStats(sql + " AT (VERSION => 3)")).get("n"));

        // Once vacuum deleted a past version's files, the scan refuses the version, and so does the answer.
        new Vacuum(table, Clock.offset(Clock.systemUTC(), Duration.ofHours(2))).run(Duration.ofHours(1), false, false);
        for (QueryEngine engine : List.of(stats, scan)) {
            assertThrows(VersionNotAvailableException.class, () -> run(engine, request(sql + " AT (VERSION => 3)")));
        }
        assertEquals(optimized, onlyRow(fromStats(sql)));
    }

    @Test
    void otherShapesAreScannedAndStillRight() {
        List<String> shapes = List.of(
                "SELECT count(*) FROM main.stats.facts WHERE id > 5",
                "SELECT count(*) FROM main.stats.facts WHERE region = 'eu' OR region = 'us'",
                "SELECT count(*) FROM main.stats.facts WHERE region <> 'eu'",
                "SELECT count(*) FROM main.stats.facts WHERE NOT (region = 'eu')",
                "SELECT count(*) FROM main.stats.facts WHERE region NOT IN ('eu')",
                "SELECT count(*) FROM main.stats.facts WHERE region = 'eu' AND lower(region) = 'eu'",
                "SELECT count(*) FROM main.stats.facts WHERE region = 'eu' AND id + 0 > 100",
                "SELECT count(*) FROM main.stats.facts WHERE _ls_partition_date > '2000-01-01'::TIMESTAMP",
                // Bounds the log does not hold exactly: timestamps, strings, floats, wide decimals.
                "SELECT min(ts), max(ts_local) FROM main.stats.facts",
                "SELECT max(_ls_ingest_time) FROM main.stats.facts",
                "SELECT min(text_large), max(trace_id) FROM main.stats.facts",
                "SELECT min(f64), max(f32) FROM main.stats.facts",
                "SELECT min(dec_mid), max(dec_big) FROM main.stats.facts",
                "SELECT min(flag) FROM main.stats.facts",
                "SELECT count(numbers) FROM main.stats.facts",
                "SELECT count(DISTINCT region) FROM main.stats.facts",
                "SELECT region, count(*) FROM main.stats.facts GROUP BY region ORDER BY region",
                "SELECT count(*) FROM main.stats.facts HAVING count(*) > 1000",
                "SELECT count(*) FROM main.stats.facts LIMIT 0",
                "SELECT count(*) + 1 AS n FROM main.stats.facts",
                "SELECT count(*), 1 AS one FROM main.stats.facts",
                "SELECT min(id) FILTER (WHERE id > 10) FROM main.stats.facts",
                "SELECT sum(id) FROM main.stats.facts",
                "SELECT count(*) FROM (SELECT * FROM main.stats.facts)",
                "WITH t AS (SELECT * FROM main.stats.facts) SELECT count(*) FROM t",
                "SELECT count(*) FROM main.stats.facts a, main.stats.empty b",
                "SELECT count(*) FROM main.stats.facts AS t(x)");
        for (String sql : shapes) {
            Answer answer = scanned(sql);
            assertTrue(answer.filesScanned().values().stream().mapToInt(Integer::intValue).sum() > 0, "scanned: " + sql);
        }
    }

    /**
     * The same text over tables whose columns have other types: the engine keeps what DuckDB said of a statement, by
     * its rewritten text and the table's schema, so each table still gets its own result types and values.
     */
    @Test
    void theSameStatementOverTablesOfOtherTypesAnswersInEachTablesTypes() {
        Field wide = Field.nullable("v", new ArrowType.Int(64, true));
        Field narrow = Field.nullable("v", new ArrowType.Int(32, true));
        Field day = Field.nullable("v", new ArrowType.Date(DateUnit.DAY));
        List<Field> types = List.of(wide, narrow, day);
        for (int i = 0; i < types.size(); i++) {
            Schema schema = new Schema(List.of(types.get(i)));
            DeltaTable table = datasets.create("acme", "main.stats.typed" + i, DatasetDefinition.of(schema, List.of()));
            try (VectorSchemaRoot batch = VectorSchemaRoot.create(schema, allocator)) {
                batch.allocateNew();
                for (int row = 0; row < 5; row++) {
                    if (batch.getVector(0) instanceof BigIntVector v) {
                        v.setSafe(row, 100L * i + row);
                    } else if (batch.getVector(0) instanceof IntVector v) {
                        v.setSafe(row, 100 * i + row);
                    } else {
                        ((DateDayVector) batch.getVector(0)).setSafe(row, 20_000 + row);
                    }
                }
                batch.setRowCount(5);
                TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", 1));
            }
        }
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < types.size(); i++) {
                // fromStats holds each answer to the scan's schema and rows.
                Answer answer = fromStats("SELECT count(*) AS n, max(x.v) AS hi FROM main.stats.typed" + i + " AS x");
                assertEquals(types.get(i).getType(), answer.schema().findField("hi").getType(), "table " + i);
                assertEquals(5L, onlyRow(answer).get("n"));
            }
        }
    }

    @Test
    void aStatementTheScanRefusesIsRefusedAlike() {
        for (QueryEngine engine : List.of(stats, scan)) {
            assertThrows(QueryRejectedException.class, () -> run(engine, request("SELECT min(no_such_column) FROM main.stats.facts")));
            assertThrows(UnknownTableException.class, () -> run(engine, request("SELECT count(*) FROM main.stats.nothing")));
        }
        assertThrows(UnknownTableException.class, () -> run(stats, QueryRequest.of("other", "globex", "SELECT count(*) FROM main.stats.facts")));
    }
}
