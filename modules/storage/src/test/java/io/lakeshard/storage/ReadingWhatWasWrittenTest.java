package io.lakeshard.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.dataset.TableSchema;
import io.lakeshard.storage.maintenance.Maintenance;
import io.lakeshard.storage.maintenance.Vacuum;
import io.lakeshard.storage.scan.ColumnPredicate;
import io.lakeshard.storage.scan.ScanPlanner;
import io.lakeshard.storage.snapshot.SnapshotCache;
import io.lakeshard.storage.stats.FileStats;
import io.lakeshard.storage.table.DataFile;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.ReadOnlyTableException;
import io.lakeshard.storage.table.TableSettings;
import io.lakeshard.storage.table.TableSnapshot;
import io.lakeshard.storage.table.UnsupportedTableFeatureException;
import io.lakeshard.storage.write.NewDataFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Everything a write accepts reads back, from the log as from the files; a table we cannot read right is refused. */
class ReadingWhatWasWrittenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BufferAllocator allocator = new RootAllocator();

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        allocator.close();
    }

    private List<Map<String, Object>> rowsById(DeltaTable table) {
        return TestTables.readAll(table, table.snapshot(), allocator).stream()
                .sorted(Comparator.comparing(row -> (Long) row.get("id"))).toList();
    }

    private static JsonNode addStats(DeltaTable table, long version) throws IOException {
        for (JsonNode action : TestTables.logActions(table, version)) {
            if (action.has("add")) {
                return JSON.readTree(action.get("add").get("stats").asText());
            }
        }
        throw new AssertionError("no add in version " + version);
    }

    @Test
    void timestampsAndDatesAcrossDeltasWholeRangeKeepTheTableUsable() throws IOException {
        // A checkpoint every two commits: statistics are read back from checkpoints as from commits.
        DeltaTable table = TestTables.create(dir, "range", DatasetDefinition.of(TimestampRange.SCHEMA, List.of()),
                new TableSettings(2, Duration.ofDays(30)));
        int all = TimestampRange.TIMES.size();
        try (VectorSchemaRoot batch = TimestampRange.batch(allocator, 0, all)) {
            TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", 1));
        }
        JsonNode logged = addStats(table, table.latestVersion());
        assertEquals("0001-01-01T00:00:00.000Z", logged.get("minValues").get("ts").asText(), "Delta's encoding, via Kernel");
        assertEquals("9999-12-31T23:59:59.999Z", logged.get("maxValues").get("ts").asText());
        assertEquals(TimestampRange.TIMES.get(0), LocalDateTime.parse(logged.get("minValues").get("ts_local").asText()));
        assertEquals(TimestampRange.TIMES.get(all - 1), LocalDateTime.parse(logged.get("maxValues").get("ts_local").asText()));
        assertEquals("0001-01-01", logged.get("minValues").get("day").asText());
        assertEquals("9999-12-31", logged.get("maxValues").get("day").asText());

        TableSnapshot snapshot = table.snapshot();
        FileStats.ColumnStats ts = snapshot.files().iterator().next().stats().column("ts").orElseThrow();
        assertEquals(TimestampRange.MICROS.get(0), ts.min());
        assertEquals(TimestampRange.MICROS.get(all - 1), ts.max());
        assertEquals(TimestampRange.DAYS.get(0), snapshot.files().iterator().next().stats().column("day").orElseThrow().min());

        List<Map<String, Object>> rows = rowsById(table);
        for (int i = 0; i < all; i++) {
            assertEquals(TimestampRange.MICROS.get(i), rows.get(i).get("ts_local") instanceof LocalDateTime local
                    ? TimestampRange.micros(local) : null, "row " + i);
        }
        assertEquals(1, ScanPlanner.plan(snapshot, List.of(ColumnPredicate.lt("ts", Instant.parse("1600-01-01T00:00:00Z")))).size());
        assertEquals(0, ScanPlanner.plan(snapshot, List.of(ColumnPredicate.lt("ts", Instant.parse("0001-01-01T00:00:00Z")))).size());

        Maintenance maintenance = new Maintenance(table, allocator);
        maintenance.deleteRows(List.of(ColumnPredicate.eq("id", 2L)));
        try (VectorSchemaRoot batch = TimestampRange.batch(allocator, 0, 1)) {
            TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", 2));
        }
        maintenance.optimize();
        assertTrue(Files.exists(Path.of(table.root()).resolve("_delta_log").resolve(String.format("%020d.checkpoint.parquet", 4))));
        TableSnapshot fromCheckpoint = new SnapshotCache(table).refresh();
        assertEquals(all, fromCheckpoint.numRecords(), "delete, append and optimize all ran");
        FileStats.ColumnStats packed = fromCheckpoint.files().iterator().next().stats().column("ts").orElseThrow();
        assertEquals(TimestampRange.MICROS.get(0), packed.min());
        assertEquals(TimestampRange.MICROS.get(all - 1), packed.max());
    }

    @Test
    void aTimestampWhoseRoundedUpBoundLeavesDeltasRangeGetsNoBoundsButReadsBack() throws IOException {
        DeltaTable table = TestTables.create(dir, "edge", DatasetDefinition.of(TimestampRange.SCHEMA, List.of()));
        LocalDateTime last = LocalDateTime.of(9999, 12, 31, 23, 59, 59, 999_999_000);
        try (VectorSchemaRoot batch = TimestampRange.batch(allocator, 0, List.of(last))) {
            TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", 1));
        }
        JsonNode logged = addStats(table, table.latestVersion());
        assertFalse(logged.get("maxValues").has("ts"), "a max rounded up to the millisecond would be year 10000");
        assertEquals(0, logged.get("nullCount").get("ts").asLong());
        DataFile file = table.snapshot().files().iterator().next();
        assertNull(file.stats().column("ts").orElseThrow().max());
        assertEquals(1, ScanPlanner.plan(table.snapshot(), List.of(ColumnPredicate.gt("ts", Instant.parse("9999-12-31T23:59:59.999500Z")))).size());
        assertEquals(TimestampRange.micros(last), TimestampRange.micros((LocalDateTime) rowsById(table).get(0).get("ts_local")));
    }

    @Test
    void aValueOutsideDeltasRangeIsRefusedAtTheWriteNamingItsColumn() {
        DeltaTable table = TestTables.create(dir, "refused", DatasetDefinition.of(TimestampRange.SCHEMA, List.of()));
        try (VectorSchemaRoot batch = TimestampRange.batch(allocator, 0, List.of(LocalDateTime.of(10_000, 1, 1, 0, 0)))) {
            InvalidInputException refused = assertThrows(InvalidInputException.class, () -> TestTables.write(table, allocator, batch));
            assertEquals("batch.ts", refused.field());
            assertTrue(refused.getMessage().contains("0001-01-01") && refused.getMessage().contains("9999-12-31"), refused.getMessage());
        }
        try (VectorSchemaRoot batch = TimestampRange.batch(allocator, 0, List.of(LocalDateTime.of(0, 12, 31, 23, 59)))) {
            assertThrows(InvalidInputException.class, () -> TestTables.write(table, allocator, batch));
        }
        assertEquals(0, table.snapshot().files().size());
    }

    @Test
    void nestedFieldsOfAnAddedColumnReadBackAtEveryDepthAndSurviveOptimize() {
        DeltaTable table = TestTables.create(dir, "evolved", DatasetDefinition.of(NestedColumn.BEFORE, List.of()));
        try (VectorSchemaRoot before = NestedColumn.before(allocator, 100)) {
            TestTables.commit(table, TestTables.write(table, allocator, before), new IdempotencyKey("w", 1));
        }
        table.addColumns(List.of(NestedColumn.EV));
        List<Map<String, Object>> written = new ArrayList<>();
        for (int b = 0; b < 2; b++) {
            try (VectorSchemaRoot batch = NestedColumn.batch(allocator, 1 + b * 2L, 2)) {
                written.addAll(TestTables.rows(batch, true));
                TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", 2 + b));
            }
        }
        List<String> tagNames = table.snapshot().schema().physical().findField(table.snapshot().schema().physicalName("ev"))
                .getChildren().get(1).getChildren().get(0).getChildren().stream().map(Field::getName).toList();
        assertTrue(tagNames.get(0).startsWith("col-"), "fields inside a list get physical names too: " + tagNames);

        List<Map<String, Object>> read = rowsById(table);
        assertEquals(5, read.size());
        assertEquals(written, read.subList(0, 4));
        assertEquals(100L, read.get(4).get("id"));
        assertNull(read.get(4).get("ev"), "the row written before the column existed");
        new Maintenance(table, allocator).optimize();
        assertEquals(read, rowsById(table), "optimize reads and rewrites them by their physical names");

        table.addColumns(List.of(new Field("later", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
        List<Integer> ids = fieldIds(table.snapshot().schema().physical().getFields());
        assertEquals(Set.copyOf(ids).size(), ids.size(), "column ids stay unique after nested ones: " + ids);
        assertTrue(ids.size() > 6, "every struct field at every depth has one: " + ids);
    }

    private static List<Integer> fieldIds(List<Field> fields) {
        List<Integer> ids = new ArrayList<>();
        for (Field field : fields) {
            TableSchema.fieldId(field).ifPresent(ids::add);
            ids.addAll(fieldIds(field.getChildren()));
        }
        return ids;
    }

    @Test
    void aTableNeedingAReaderFeatureWeDoNotImplementIsRefusedWhereverItIsLoaded() throws IOException {
        Upgraded upgraded = upgrade("widened", TestTables.TYPE_WIDENING_PROTOCOL);
        DeltaTable table = upgraded.table();
        long version = upgraded.version();
        List<UnsupportedTableFeatureException> refusals = List.of(
                assertThrows(UnsupportedTableFeatureException.class, table::snapshot),
                assertThrows(UnsupportedTableFeatureException.class, table::latestMetadata),
                assertThrows(UnsupportedTableFeatureException.class, () -> table.snapshotAt(version)),
                assertThrows(UnsupportedTableFeatureException.class, upgraded.cache()::refresh),
                assertThrows(UnsupportedTableFeatureException.class,
                        () -> TestTables.commit(table, upgraded.files(), new IdempotencyKey("w", 2))),
                assertThrows(UnsupportedTableFeatureException.class, () -> new Maintenance(table, allocator).optimize()),
                assertThrows(UnsupportedTableFeatureException.class,
                        () -> new Vacuum(table, Clock.systemUTC()).run(Duration.ofHours(1), true, false)));
        for (UnsupportedTableFeatureException refusal : refusals) {
            assertTrue(refusal.getMessage().contains("typeWidening"), refusal.getMessage());
        }
        upgraded.assertNothingCommitted();
        assertEquals(1, table.snapshotAt(version - 1).numRecords(), "versions before the upgrade still read");
    }

    @Test
    void aTableWithDeletionVectorsIsReadButNeverWritten() throws IOException {
        Upgraded upgraded = upgrade("dv", TestTables.DELETION_VECTORS_PROTOCOL);
        DeltaTable table = upgraded.table();
        for (TableSnapshot snapshot : List.of(table.snapshot(), table.latestMetadata(), table.snapshotAt(upgraded.version()),
                upgraded.cache().refresh())) {
            assertEquals(upgraded.version(), snapshot.version());
            assertEquals(Optional.of("deletion vectors: Lakeshard does not write tables with this feature"), snapshot.readOnlyReason());
        }
        assertEquals(1, table.snapshot().numRecords(), "read as before");
        List<ReadOnlyTableException> refusals = List.of(
                assertThrows(ReadOnlyTableException.class, () -> TestTables.commit(table, upgraded.files(), new IdempotencyKey("w", 2))),
                assertThrows(ReadOnlyTableException.class, () -> new Maintenance(table, allocator).optimize()),
                assertThrows(ReadOnlyTableException.class, () -> new Maintenance(table, allocator).deleteRows(
                        List.of(ColumnPredicate.eq("id", 0L)))),
                assertThrows(ReadOnlyTableException.class, () -> table.addColumns(List.of(Field.nullable("x", ArrowType.Utf8.INSTANCE)))),
                assertThrows(ReadOnlyTableException.class,
                        () -> new Vacuum(table, Clock.systemUTC()).run(Duration.ofHours(1), true, false)));
        for (ReadOnlyTableException refusal : refusals) {
            assertTrue(refusal.getMessage().contains("deletion vectors"), refusal.getMessage());
        }
        upgraded.assertNothingCommitted();
        assertTrue(table.snapshotAt(upgraded.version() - 1).readOnlyReason().isEmpty(), "Lakeshard wrote the version before");
    }

    /** A table Lakeshard wrote a version of, then another writer's protocol upgrade; files written for a next commit. */
    private record Upgraded(DeltaTable table, List<NewDataFile> files, SnapshotCache cache, long version) {
        void assertNothingCommitted() {
            assertFalse(Files.exists(Path.of(table.root()).resolve("_delta_log").resolve(String.format("%020d.json", version + 1))),
                    "nothing was committed");
        }
    }

    private Upgraded upgrade(String name, String protocol) throws IOException {
        DeltaTable table = TestTables.create(dir, name, DatasetDefinition.of(NestedColumn.BEFORE, List.of()));
        List<NewDataFile> files;
        try (VectorSchemaRoot batch = NestedColumn.before(allocator, 1)) {
            TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", 1));
            files = TestTables.write(table, allocator, batch);
        }
        SnapshotCache cache = new SnapshotCache(table);
        cache.refresh();
        return new Upgraded(table, files, cache, TestTables.commitByHand(table, protocol));
    }
}
