package io.lakeshard.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.query.engine.EngineSettings;
import io.lakeshard.query.engine.QueryEngine;
import io.lakeshard.query.engine.QueryResult;
import io.lakeshard.storage.NestedColumn;
import io.lakeshard.storage.TestTables;
import io.lakeshard.storage.TimestampRange;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.maintenance.Maintenance;
import io.lakeshard.storage.maintenance.Vacuum;
import io.lakeshard.storage.scan.ColumnPredicate;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.UnsupportedTableFeatureException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** What a write accepted reads back through SQL: every timestamp, nested fields of added columns, past versions. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReadingWhatWasWrittenTest {
    private BufferAllocator allocator;
    private Datasets datasets;
    private QueryEngine engine;

    @BeforeAll
    void setUp(@TempDir Path dir) throws Exception {
        allocator = new RootAllocator();
        datasets = new Datasets(dir.resolve("storage"));
        engine = new QueryEngine(EngineSettings.defaults(dir.resolve("work"), List.of(dir.resolve("storage")))
                .withMemoryLimit("256MB").withThreads(2), datasets, allocator);
    }

    @AfterAll
    void tearDown() throws Exception {
        engine.close();
        allocator.close();
    }

    private List<Map<String, Object>> run(String sql) {
        try (QueryResult result = engine.execute(QueryRequest.of("q-" + System.nanoTime(), "acme", sql))) {
            return drain(result);
        }
    }

    private static List<Map<String, Object>> drain(QueryResult result) {
        List<Map<String, Object>> rows = new ArrayList<>();
        while (result.next()) {
            rows.addAll(TestTables.rows(result.batch(), false));
        }
        return rows;
    }

    @Test
    void timestampsAndDatesAcrossDeltasWholeRangeReadBackAndPrune() {
        DeltaTable table = datasets.create("acme", "main.read.ancient", DatasetDefinition.of(TimestampRange.SCHEMA, List.of()));
        for (int i = 0; i < TimestampRange.MICROS.size(); i++) {
            try (VectorSchemaRoot batch = TimestampRange.batch(allocator, i, i + 1)) {
                TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", i));
            }
        }
        List<Map<String, Object>> rows = run("SELECT id, epoch_us(ts) AS ts, epoch_us(ts_local) AS ts_local, "
                + "CAST(day - DATE '1970-01-01' AS BIGINT) AS day FROM main.read.ancient ORDER BY id");
        assertEquals(TimestampRange.MICROS.size(), rows.size());
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(TimestampRange.MICROS.get(i), rows.get(i).get("ts"), "ts of row " + i);
            assertEquals(TimestampRange.MICROS.get(i), rows.get(i).get("ts_local"), "ts_local of row " + i);
            assertEquals(TimestampRange.DAYS.get(i), rows.get(i).get("day"), "day of row " + i);
        }
        try (QueryResult result = engine.execute(QueryRequest.of("old", "acme",
                "SELECT id FROM main.read.ancient WHERE ts < TIMESTAMPTZ '1600-01-01 00:00:00+00' ORDER BY id"))) {
            assertEquals(List.of(Map.of("id", 0L), Map.of("id", 1L)), drain(result));
            assertEquals(2, result.filesScanned().values().iterator().next(), "statistics prune the later files");
        }
    }

    @Test
    void partitionValuesAcrossDeltasWholeRangeReadBack() {
        DeltaTable table = datasets.create("acme", "main.read.ancient_days",
                DatasetDefinition.of(TimestampRange.SCHEMA, List.of("day", "ts_local")));
        try (VectorSchemaRoot batch = TimestampRange.batch(allocator, 0, TimestampRange.TIMES.size())) {
            TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", 1));
        }
        List<Map<String, Object>> rows = run("SELECT id, epoch_us(ts_local) AS ts_local, CAST(day - DATE '1970-01-01' AS BIGINT) AS day "
                + "FROM main.read.ancient_days ORDER BY id");
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(Map.of("id", (long) i, "ts_local", TimestampRange.MICROS.get(i), "day", TimestampRange.DAYS.get(i)), rows.get(i));
        }
        assertEquals(List.of(Map.of("id", 4L)), run("SELECT id FROM main.read.ancient_days WHERE day = DATE '9999-12-31'"));
    }

    @Test
    void nestedFieldsOfAnAddedColumnReadByTheirLogicalNamesAtEveryDepth() {
        DeltaTable table = datasets.create("acme", "main.read.evolved", DatasetDefinition.of(NestedColumn.BEFORE, List.of()));
        try (VectorSchemaRoot before = NestedColumn.before(allocator, 100)) {
            TestTables.commit(table, TestTables.write(table, allocator, before), new IdempotencyKey("w", 1));
        }
        table.addColumns(List.of(NestedColumn.EV));
        try (VectorSchemaRoot after = NestedColumn.batch(allocator, 1, 3)) {
            TestTables.commit(table, TestTables.write(table, allocator, after), new IdempotencyKey("w", 2));
        }

        assertEquals(List.of(Map.of("id", 2L, "x", 2000L, "k", "t2", "v", 2L)),
                run("SELECT id, ev.x AS x, ev.tags[1].k AS k, ev.attrs['a'].v AS v FROM main.read.evolved WHERE ev.x = 2000"));
        assertEquals(List.of(Map.of("id", 100L)), run("SELECT id FROM main.read.evolved WHERE ev IS NULL"),
                "the row written before the column existed");
        try (QueryResult result = engine.execute(QueryRequest.of("shape", "acme", "SELECT ev FROM main.read.evolved"))) {
            Field ev = result.schema().findField("ev");
            assertEquals(List.of("x", "tags", "attrs"), ev.getChildren().stream().map(Field::getName).toList());
            Field tag = ev.getChildren().get(1).getChildren().get(0);
            assertEquals(List.of("k"), tag.getChildren().stream().map(Field::getName).toList());
            Field value = ev.getChildren().get(2).getChildren().get(0).getChildren().get(1);
            assertEquals(List.of("v"), value.getChildren().stream().map(Field::getName).toList());
            assertFalse(ev.toString().contains("col-"), ev.toString());
        }
    }

    @Test
    void aVersionWhoseFilesWereVacuumedIsNotAvailable() {
        DeltaTable table = datasets.create("acme", "main.read.vacuumed", DatasetDefinition.of(NestedColumn.BEFORE, List.of()));
        try (VectorSchemaRoot batch = NestedColumn.before(allocator, 7)) {
            TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", 1));
        }
        long written = table.latestVersion();
        new Maintenance(table, allocator).deleteRows(List.of(ColumnPredicate.eq("id", 7L)));
        String sql = "SELECT count(*) AS n FROM main.read.vacuumed AT (VERSION => " + written + ")";
        assertEquals(List.of(Map.of("n", 1L)), run(sql), "before vacuum the version reads");

        Clock later = Clock.offset(Clock.systemUTC(), Duration.ofHours(2));
        assertEquals(1, new Vacuum(table, later).run(Duration.ofHours(1), false, false).files().size());

        VersionNotAvailableException gone = assertThrows(VersionNotAvailableException.class, () -> run(sql));
        assertTrue(gone.getMessage().contains("version " + written), gone.getMessage());
        assertTrue(gone.getMessage().contains("vacuum"), gone.getMessage());
        assertEquals(List.of(Map.of("n", 0L)), run("SELECT count(*) AS n FROM main.read.vacuumed"), "the latest version reads");
    }

    @Test
    void aTableNeedingAReaderFeatureWeDoNotImplementIsRefused() throws Exception {
        DeltaTable table = datasets.create("acme", "main.read.widened", DatasetDefinition.of(NestedColumn.BEFORE, List.of()));
        assertEquals(List.of(Map.of("n", 0L)), run("SELECT count(*) AS n FROM main.read.widened"));
        TestTables.commitByHand(table, TestTables.TYPE_WIDENING_PROTOCOL);
        UnsupportedTableFeatureException refused = assertThrows(UnsupportedTableFeatureException.class,
                () -> run("SELECT count(*) AS n FROM main.read.widened"));
        assertTrue(refused.getMessage().contains("typeWidening"), refused.getMessage());
    }
}
