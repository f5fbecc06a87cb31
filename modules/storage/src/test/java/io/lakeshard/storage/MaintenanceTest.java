package io.lakeshard.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.dataset.WriterOptions;
import io.lakeshard.storage.maintenance.Maintenance;
import io.lakeshard.storage.maintenance.MaintenanceMetrics;
import io.lakeshard.storage.maintenance.Vacuum;
import io.lakeshard.storage.scan.ColumnPredicate;
import io.lakeshard.storage.scan.ScanPlanner;
import io.lakeshard.storage.snapshot.SnapshotCache;
import io.lakeshard.storage.table.DataFile;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.TableSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaintenanceTest {
    private final BufferAllocator allocator = new RootAllocator();
    private final Comparator<Map<String, Object>> byId = Comparator.comparing(row -> (Long) row.get("id"));

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        allocator.close();
    }

    private DeltaTable tableWithBatches(String name, DatasetDefinition definition, int batches, int rowsPerBatch) {
        DeltaTable table = TestTables.create(dir, name, definition);
        for (int b = 0; b < batches; b++) {
            append(table, b * (long) rowsPerBatch, rowsPerBatch, b);
        }
        return table;
    }

    private void append(DeltaTable table, long first, int rows, long sequence) {
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, first, rows)) {
            TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("loader", sequence));
        }
    }

    private List<Map<String, Object>> rows(DeltaTable table) {
        return TestTables.readAll(table, table.snapshot(), allocator).stream().sorted(byId).toList();
    }

    @Test
    void optimizeKeepsEveryRowAndTheBloomFilters() throws IOException {
        DatasetDefinition definition = DatasetDefinition.of(AllTypes.SCHEMA, List.of("region"))
                .withWriterOptions(WriterOptions.defaults().withZOrderColumns(List.of("i32", "ts")).withBloomFilterColumns(List.of("i32")));
        DeltaTable table = tableWithBatches("opt", definition, 6, 40);
        List<Map<String, Object>> before = rows(table);
        int filesBefore = table.snapshot().files().size();

        MaintenanceMetrics metrics = new Maintenance(table, allocator).optimize();

        TableSnapshot after = table.snapshot();
        assertEquals(before, rows(table), "same multiset of rows");
        assertEquals(4, after.files().size(), "one file per partition (eu, us, ap, null)");
        assertTrue(filesBefore > after.files().size());
        assertEquals(metrics.rowsBefore(), metrics.rowsAfter());
        assertEquals(after.files().size(), metrics.filesAfter());
        for (DataFile file : after.files()) {
            try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(
                    new org.apache.hadoop.fs.Path(file.uri(table.root())), new Configuration()))) {
                Map<String, Boolean> bloom = new HashMap<>();
                for (ColumnChunkMetaData column : reader.getFooter().getBlocks().get(0).getColumns()) {
                    bloom.put(column.getPath().toDotString(), column.getBloomFilterOffset() >= 0);
                }
                assertTrue(bloom.get("trace_id"), "default bloom filter on *_id strings");
                assertTrue(bloom.get("_ls_batch_id"), "bloom filter on the batch id, dictionary or not");
                assertTrue(bloom.get("i32"), "configured bloom filter");
                assertFalse(bloom.get("f64"));
            }
        }
        assertEquals(-1, new Maintenance(table, allocator).optimize().version(), "nothing left to pack");
    }

    @Test
    void optimizeKeepsOneCopyOfRowsStoredTwiceUnderTheUniqueKey() throws IOException {
        DatasetDefinition definition = DatasetDefinition.of(AllTypes.SCHEMA, List.of())
                .withWriterOptions(WriterOptions.defaults().withUniqueKeyColumns(List.of("id")));
        DeltaTable table = TestTables.create(dir, "dedup", definition);
        append(table, 0, 30, 1);
        append(table, 20, 30, 2);
        append(table, 0, 10, 3);
        assertEquals(70, table.snapshot().numRecords(), "ids 0-9 three times, 20-29 twice");

        MaintenanceMetrics metrics = new Maintenance(table, allocator).optimize();

        List<Map<String, Object>> after = rows(table);
        assertEquals(50, after.size());
        assertEquals(50, after.stream().map(row -> row.get("id")).distinct().count(), "each id once");
        assertEquals(70, metrics.rowsBefore());
        assertEquals(50, metrics.rowsAfter());
        JsonNode commit = TestTables.logActions(table, metrics.version()).stream()
                .filter(action -> action.has("add")).findFirst().orElseThrow().get("add");
        assertTrue(commit.get("dataChange").asBoolean(), "dropping copies changes the rows: not a dataChange=false rewrite");
    }

    @Test
    void expireDropsExactlyThePartitionsBeforeTheCutoff() {
        DeltaTable table = tableWithBatches("exp", DatasetDefinition.of(AllTypes.SCHEMA, List.of()).withEventTimeColumn("day"), 2, 70);
        List<Map<String, Object>> before = rows(table);
        LocalDate cutoff = LocalDate.ofEpochDay(19_702);
        new Maintenance(table, allocator).expireBefore(cutoff);
        List<Map<String, Object>> expected = before.stream().filter(row -> {
            Object day = row.get("day");
            // Rows without an event time are partitioned by ingest time, which is today.
            return day == null || LocalDate.ofEpochDay(((Number) day).longValue()).compareTo(cutoff) >= 0;
        }).toList();
        assertTrue(expected.size() < before.size() && !expected.isEmpty());
        assertEquals(expected, rows(table));
    }

    @Test
    void deleteRowsRemovesExactlyTheMatchesAndRewritesOnlyTheirFiles() {
        DeltaTable table = tableWithBatches("del", DatasetDefinition.of(AllTypes.SCHEMA, List.of("region")), 3, 50);
        List<Map<String, Object>> before = rows(table);
        TableSnapshot snapshot = table.snapshot();
        Maintenance maintenance = new Maintenance(table, allocator);

        MaintenanceMetrics byPredicate = maintenance.deleteRows(List.of(
                ColumnPredicate.eq("region", "eu"), ColumnPredicate.ge("i32", 60_000)));
        List<Map<String, Object>> expected = before.stream()
                .filter(row -> !("eu".equals(row.get("region")) && ((Number) row.get("i32")).longValue() >= 60_000))
                .toList();
        assertEquals(expected, rows(table));
        long euFiles = snapshot.files().stream().filter(f -> "eu".equals(f.partitionValues().get("region"))).count();
        assertTrue(byPredicate.filesBefore() - byPredicate.filesAfter() >= 0);
        assertTrue(table.snapshot().files().containsAll(snapshot.files().stream()
                .filter(f -> !"eu".equals(f.partitionValues().get("region"))).toList()), "other partitions untouched");
        assertTrue(euFiles > 0);

        maintenance.deleteKeys("trace_id", List.of(String.format("%032x", 1L * 7919), String.format("%032x", 2L * 7919)));
        List<Map<String, Object>> afterKeys = expected.stream().filter(row -> !List.of(1L, 2L).contains(row.get("id"))).toList();
        assertEquals(afterKeys, rows(table));
        assertEquals(-1, maintenance.deleteRows(List.of(ColumnPredicate.eq("id", 999_999L))).version(), "no match, no commit");
        assertThrows(InvalidInputException.class, () -> maintenance.deleteRows(List.of(ColumnPredicate.eq("nope", 1))));
    }

    @Test
    void vacuumNeverDeletesAFileARetainedVersionReferences() throws IOException {
        DeltaTable table = tableWithBatches("vac", DatasetDefinition.of(AllTypes.SCHEMA, List.of("region")), 4, 30);
        List<DataFile> replaced = List.copyOf(table.snapshot().files());
        long optimizeVersion = new Maintenance(table, allocator).optimize().version();
        Path log = Path.of(table.root()).resolve("_delta_log");
        Instant old = Instant.now().minus(Duration.ofDays(3));
        // Everything up to and including the optimize happened three days ago.
        for (long v = 0; v <= optimizeVersion; v++) {
            Files.setLastModifiedTime(log.resolve(String.format("%020d.json", v)), FileTime.from(old.plusSeconds(v)));
        }
        try (Stream<Path> files = Files.walk(Path.of(table.root()))) {
            for (Path file : files.filter(p -> p.toString().endsWith(".parquet") && !p.toString().contains("_delta_log")).toList()) {
                Files.setLastModifiedTime(file, FileTime.from(old));
            }
        }
        append(table, 1_000, 30, 99);
        Vacuum vacuum = new Vacuum(table, Clock.systemUTC());
        assertThrows(InvalidInputException.class, () -> vacuum.run(Duration.ofMinutes(10), true, false));

        Vacuum.Result keepAll = vacuum.run(Duration.ofDays(7), false, false);
        assertEquals(List.of(), keepAll.files(), "every version is inside a 7-day window");

        Vacuum.Result dryRun = vacuum.run(Duration.ofDays(1), true, false);
        assertEquals(replaced.stream().map(f -> f.uri(table.root())).sorted().toList(), dryRun.files().stream().sorted().toList(),
                "exactly the files optimize replaced three days ago");
        assertTrue(dryRun.files().stream().allMatch(uri -> Files.exists(Path.of(uri))), "a dry run deletes nothing");
        Vacuum.Result result = vacuum.run(Duration.ofDays(1), false, false);
        assertEquals(dryRun.files(), result.files());
        result.files().forEach(uri -> assertFalse(Files.exists(Path.of(uri))));
        for (DataFile file : table.snapshot().files()) {
            assertTrue(Files.exists(Path.of(file.uri(table.root()))), "the latest version is intact");
        }
        assertEquals(150, TestTables.readAll(table, table.snapshot(), allocator).size());
        assertEquals(120, TestTables.readAll(table, table.snapshotAt(optimizeVersion), allocator).size(),
                "the version current at the window's start is still readable");
    }

    @Test
    void incrementalRefreshEqualsAFreshLoadAfterARandomMixOfChanges() {
        DeltaTable table = TestTables.create(dir, "mix", DatasetDefinition.of(AllTypes.SCHEMA, List.of("region")).withEventTimeColumn("day"));
        SnapshotCache cache = new SnapshotCache(table);
        cache.refresh();
        Random random = new Random(42);
        Maintenance maintenance = new Maintenance(table, allocator);
        long next = 0;
        for (int step = 0; step < 14; step++) {
            int action = random.nextInt(6);
            if (action <= 2 || step < 3) {
                append(table, next, 25, step);
                next += 25;
            } else if (action == 3) {
                maintenance.optimize();
            } else if (action == 4) {
                maintenance.expireBefore(LocalDate.ofEpochDay(19_700 + random.nextInt(3)));
            } else {
                maintenance.deleteRows(List.of(ColumnPredicate.lt("id", (long) random.nextInt((int) next + 1))));
            }
            TableSnapshot incremental = cache.refresh();
            TableSnapshot fresh = table.snapshot();
            assertEquals(fresh.version(), incremental.version());
            assertEquals(fresh.filesByPath().keySet(), incremental.filesByPath().keySet(), "step " + step);
            assertEquals(fresh.files().stream().map(DataFile::stats).toList(),
                    fresh.files().stream().map(f -> incremental.filesByPath().get(f.path()).stats()).toList());
        }
        assertEquals(1, cache.fullLoads(), "only the first load replayed the log");
        assertTrue(cache.incrementalRefreshes() >= 10);
    }

    @Test
    void scanPlanningPrunesByPartitionAndStatistics() {
        DeltaTable table = tableWithBatches("plan", DatasetDefinition.of(AllTypes.SCHEMA, List.of("region")), 4, 100);
        TableSnapshot snapshot = table.snapshot();
        int all = snapshot.files().size();
        List<ScanPlanner.PlannedFile> eu = ScanPlanner.plan(snapshot, List.of(ColumnPredicate.eq("region", "eu")));
        assertEquals(4, eu.size(), "one eu file per batch");
        assertTrue(eu.stream().allMatch(p -> "eu".equals(p.partitionValues().get("region"))));
        List<ScanPlanner.PlannedFile> firstBatch = ScanPlanner.plan(snapshot, List.of(ColumnPredicate.lt("id", 100L)));
        assertEquals(all / 4, firstBatch.size(), "ids 0..99 are all in the first batch's files");
        assertEquals(0, ScanPlanner.plan(snapshot, List.of(ColumnPredicate.gt("id", 10_000L))).size());
        assertEquals(1, ScanPlanner.plan(snapshot, List.of(ColumnPredicate.eq("region", "us"),
                ColumnPredicate.in("id", 150L, 151L, 152L))).size());
        assertEquals(4, ScanPlanner.plan(snapshot, List.of(ColumnPredicate.isNull("region"))).size());
        Instant tsOfId250 = Instant.EPOCH.plusNanos((1_700_000_000_000_000L + 250 * 1_234_567L) * 1000);
        assertTrue(ScanPlanner.plan(snapshot, List.of(ColumnPredicate.eq("ts", tsOfId250))).size() <= all / 4 + 1);
        List<ScanPlanner.PlannedFile> allFiles = ScanPlanner.plan(snapshot, List.of());
        assertEquals(all, allFiles.size());
    }

    @Test
    void addedColumnsReadAsNullInOldFilesAndGetUniquePhysicalNames() {
        DeltaTable table = tableWithBatches("evolve", DatasetDefinition.of(AllTypes.SCHEMA, List.of("region")), 1, 20);
        Field extra = new Field("extra", FieldType.nullable(ArrowType.Utf8.INSTANCE), null);
        table.addColumns(List.of(extra));
        TableSnapshot snapshot = table.snapshot();
        assertTrue(snapshot.schema().columnMapping());
        assertTrue(snapshot.schema().physicalName("extra").startsWith("col-"), "a fresh physical name");
        assertEquals("id", snapshot.schema().physicalName("id"), "existing columns keep their names");
        List<Map<String, Object>> rows = rows(table);
        assertEquals(20, rows.size());
        rows.forEach(row -> assertNull(row.get("extra")));
        append(table, 100, 10, 5);
        assertEquals(30, rows(table).size());
        InvalidInputException notNullable = assertThrows(InvalidInputException.class, () -> table.addColumns(List.of(
                new Field("strict", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null))));
        assertEquals("columns.strict", notNullable.field());
        assertThrows(InvalidInputException.class, () -> table.addColumns(List.of(extra)));
        assertEquals("name", snapshot.properties().get("delta.columnMapping.mode"));
    }
}
