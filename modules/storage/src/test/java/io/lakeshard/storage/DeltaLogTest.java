package io.lakeshard.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetId;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.maintenance.Maintenance;
import io.lakeshard.storage.scan.ColumnPredicate;
import io.lakeshard.storage.snapshot.SnapshotCache;
import io.lakeshard.storage.table.CommitConflictException;
import io.lakeshard.storage.table.CommitOperation;
import io.lakeshard.storage.table.DataFile;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.TableSettings;
import io.lakeshard.storage.table.TableSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeltaLogTest {
    private final BufferAllocator allocator = new RootAllocator();

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        allocator.close();
    }

    private void append(DeltaTable table, long first, int rows, long sequence) {
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, first, rows)) {
            TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("loader", sequence));
        }
    }

    private static Path log(DeltaTable table) {
        return Path.of(table.root()).resolve("_delta_log");
    }

    private static void setCommitTime(DeltaTable table, long version, Instant time) throws IOException {
        Files.setLastModifiedTime(log(table).resolve(String.format("%020d.json", version)), FileTime.from(time));
    }

    @Test
    void checkpointsAreWrittenAndExpiredCommitsCleanedWhileTheTableStaysReadable() throws IOException {
        DeltaTable table = TestTables.create(dir, "hygiene", DatasetDefinition.of(AllTypes.SCHEMA, List.of()),
                new TableSettings(3, Duration.ofMinutes(30)));
        append(table, 0, 10, 1);
        SnapshotCache cache = new SnapshotCache(table);
        assertEquals(1, cache.refresh().version());
        for (int v = 2; v <= 5; v++) {
            append(table, v * 10L, 10, v);
        }
        assertTrue(Files.exists(log(table).resolve(String.format("%020d.checkpoint.parquet", 3))), "checkpoint every 3 commits");
        Instant old = Instant.now().minus(Duration.ofHours(2));
        try (Stream<Path> files = Files.list(log(table))) {
            for (Path file : files.filter(p -> !p.getFileName().toString().startsWith("_")).toList()) {
                long version = Long.parseLong(file.getFileName().toString().substring(0, 20));
                Files.setLastModifiedTime(file, FileTime.from(old.plusSeconds(version)));
            }
        }
        append(table, 60, 10, 6);
        assertTrue(Files.exists(log(table).resolve(String.format("%020d.checkpoint.parquet", 6))));
        assertFalse(Files.exists(log(table).resolve(String.format("%020d.json", 0))), "expired commits before a checkpoint are cleaned");
        assertFalse(Files.exists(log(table).resolve(String.format("%020d.crc", 0))), "and their checksums");
        try (Stream<Path> files = Files.list(log(table))) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no temporary files left in the log");
        }
        TableSnapshot fresh = table.snapshot();
        assertEquals(60, fresh.numRecords());
        assertEquals(60, TestTables.readAll(table, fresh, allocator).size());
        assertThrows(RuntimeException.class, () -> table.snapshotAt(1), "time travel ends where the log was cleaned");

        TableSnapshot refreshed = cache.refresh();
        assertEquals(fresh.filesByPath().keySet(), refreshed.filesByPath().keySet());
        assertEquals(2, cache.fullLoads(), "the commits after the cached version were cleaned: a full load instead");
    }

    @Test
    void aRefreshFollowsNewCommitsByNameAndReadsTheLogWhenTheMetadataChanged() {
        DeltaTable table = TestTables.create(dir, "follow", DatasetDefinition.of(AllTypes.SCHEMA, List.of()));
        append(table, 0, 10, 1);
        SnapshotCache cache = new SnapshotCache(table);
        TableSnapshot loaded = cache.refresh();
        assertEquals(1, loaded.version());
        assertTrue(loaded == cache.refresh(), "nothing new: the same snapshot");

        append(table, 10, 20, 2);
        append(table, 30, 5, 3);
        new Maintenance(table, allocator).deleteRows(List.of(ColumnPredicate.lt("id", 5L)));
        TableSnapshot followed = cache.refresh();
        TableSnapshot fresh = table.snapshot();
        assertEquals(4, followed.version());
        assertEquals(fresh.filesByPath(), followed.filesByPath(), "the same files, statistics and deletion vectors as a load");
        assertEquals(30, followed.numRecords());
        assertEquals(fresh.timestampMillis(), followed.timestampMillis(), "the last commit's time, as Kernel reads it");
        assertEquals(1, cache.fullLoads());
        assertEquals(1, cache.incrementalRefreshes(), "three commits in one refresh");

        Field note = new Field("note", FieldType.nullable(ArrowType.Utf8.INSTANCE), null);
        table.addColumns(List.of(note));
        append(table, 100, 5, 4);
        TableSnapshot evolved = cache.refresh();
        assertEquals(table.latestVersion(), evolved.version());
        assertTrue(evolved.schema().columnNames().contains("note"), "the new column, from the log: " + evolved.schema().columnNames());
        assertEquals(table.snapshot().filesByPath(), evolved.filesByPath());
        assertEquals(1, cache.fullLoads(), "still incremental");

        for (int i = 0; i < 101; i++) {
            append(table, 1_000 + i, 1, 5 + i);
        }
        TableSnapshot far = cache.refresh();
        assertEquals(table.latestVersion(), far.version(), "more commits than a refresh reads by name: from the log");
        assertEquals(table.snapshot().filesByPath(), far.filesByPath());
        assertEquals(1, cache.fullLoads());
    }

    @Test
    void readsAsOfAVersionOrATime() throws IOException {
        DeltaTable table = TestTables.create(dir, "travel", DatasetDefinition.of(AllTypes.SCHEMA, List.of()));
        append(table, 0, 10, 1);
        append(table, 10, 20, 2);
        new Maintenance(table, allocator).deleteRows(List.of(ColumnPredicate.lt("id", 5L)));
        Instant t0 = Instant.now().minus(Duration.ofHours(1));
        for (long v = 0; v <= 3; v++) {
            setCommitTime(table, v, t0.plus(Duration.ofMinutes(10 * v)));
        }
        assertEquals(10, table.snapshotAt(1).numRecords());
        assertEquals(30, table.snapshotAt(2).numRecords());
        assertEquals(25, table.snapshotAt(3).numRecords());
        assertEquals(2, table.snapshotAsOf(t0.plus(Duration.ofMinutes(25))).version());
        assertEquals(30, TestTables.readAll(table, table.snapshotAsOf(t0.plus(Duration.ofMinutes(25))), allocator).size());
        assertEquals(1, table.snapshotAsOf(t0.plus(Duration.ofMinutes(10))).version(), "a commit's own time selects it");
        assertEquals(3, new SnapshotCache(table).at(3).version());
    }

    @Test
    void aRewriteWhoseFilesWereRemovedMeanwhileIsRefusedNotMerged() {
        DeltaTable table = TestTables.create(dir, "fence", DatasetDefinition.of(AllTypes.SCHEMA, List.of()));
        append(table, 0, 10, 1);
        append(table, 10, 10, 2);
        TableSnapshot planned = table.snapshot();
        new Maintenance(table, allocator).deleteRows(List.of(ColumnPredicate.eq("id", 3L)));
        long before = table.latestVersion();
        DataFile stale = planned.files().stream().filter(f -> f.stats().column("id").orElseThrow().min().equals(0L))
                .findFirst().orElseThrow();
        assertThrows(CommitConflictException.class,
                () -> table.rewrite(planned.version(), List.of(stale), List.of(), true, CommitOperation.delete("(id < 10)")));
        assertEquals(before, table.latestVersion(), "nothing committed");
        assertEquals(19, table.snapshot().numRecords());

        // An append since the planned version does not conflict with a rewrite of other files: it is kept.
        TableSnapshot planned2 = table.snapshot();
        append(table, 100, 5, 3);
        DataFile other = planned2.files().iterator().next();
        table.rewrite(planned2.version(), List.of(other), List.of(), true, CommitOperation.delete("(id >= 10)"));
        assertEquals(24 - other.numRecords(), table.snapshot().numRecords());
    }

    @Test
    void aTableWithoutTimestampNtzUsesTheOldestProtocol() throws IOException {
        Schema plain = new Schema(List.of(
                new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
                new Field("name", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
        DeltaTable table = TestTables.create(dir, "plain", DatasetDefinition.of(plain, List.of()));
        String commit = Files.readString(log(table).resolve(String.format("%020d.json", 0)));
        assertTrue(commit.contains("\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}"), commit);
    }

    @Test
    void commitsTakeTheirTimestampsFromTheStoragesClock() throws IOException {
        Instant fixed = Instant.parse("2030-01-02T03:04:05Z");
        StorageRoot storage = StorageRoot.local(dir, Clock.fixed(fixed, ZoneOffset.UTC));
        DatasetId id = new DatasetId("tenant_a", new DatasetName("main", "test", "clocked"));
        DeltaTable table = DeltaTable.create(storage, storage.tableUri(id), DatasetDefinition.of(AllTypes.SCHEMA, List.of()),
                TableSettings.defaults());
        append(table, 0, 10, 1);
        append(table, 10, 10, 2);
        new Maintenance(table, allocator).optimize();

        String group = Files.readString(log(table).resolve(String.format("%020d.json", 1)));
        assertTrue(group.contains("\"lastUpdated\":" + fixed.toEpochMilli()), group);
        String rewrite = Files.readString(log(table).resolve(String.format("%020d.json", 3)));
        assertTrue(rewrite.contains("\"deletionTimestamp\":" + fixed.toEpochMilli()), rewrite);
    }
}
