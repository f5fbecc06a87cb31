package io.lakeshard.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetId;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.fs.S3Settings;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.maintenance.Maintenance;
import io.lakeshard.storage.maintenance.MaintenanceMetrics;
import io.lakeshard.storage.maintenance.Vacuum;
import io.lakeshard.storage.snapshot.SnapshotCache;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.GroupCommitResult;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.LogStores;
import io.lakeshard.storage.table.PendingAppend;
import io.lakeshard.storage.table.TableSettings;
import io.lakeshard.storage.table.TableSnapshot;
import io.lakeshard.storage.write.NewDataFile;
import io.lakeshard.testing.SpanBatches;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tables on a real S3 server (s3proxy on loopback): commits, maintenance, and two processes racing for versions. */
class S3CommitTest {
    @TempDir
    static Path dir;
    static S3TestServer s3;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = S3TestServer.start(dir.resolve("s3"));
    }

    @AfterAll
    static void stopS3() throws Exception {
        s3.close();
    }

    static StorageRoot root(Map<String, String> extra) throws Exception {
        Map<String, String> settings = new HashMap<>(s3.hadoopSettings());
        settings.putAll(extra);
        return StorageRoot.of(URI.create("s3a://" + s3.createBucket() + "/tables"), settings);
    }

    @Test
    void appendsAndReadsBackOnS3() throws Exception {
        StorageRoot storage = root(Map.of());
        DatasetId id = new DatasetId("tenant_a", new DatasetName("main", "test", "s3"));
        DeltaTable table = DeltaTable.create(storage, storage.tableUri(id), DatasetDefinition.of(AllTypes.SCHEMA, List.of("region")),
                TableSettings.defaults());
        try (BufferAllocator allocator = new RootAllocator(); VectorSchemaRoot batch = AllTypes.batch(allocator, 0, 50)) {
            assertTrue(TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", 0)).applied());
            assertFalse(TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", 0)).applied());
            TableSnapshot snapshot = table.snapshot();
            assertEquals(1, snapshot.version());
            assertEquals(50, TestTables.readAll(table, snapshot, allocator).size());
        }
    }

    @Test
    void anotherNodesSnapshotFollowsTheCommitsOnS3ByName() throws Exception {
        StorageRoot storage = root(Map.of());
        DatasetId id = new DatasetId("tenant_a", new DatasetName("main", "test", "followed"));
        // A checkpoint every two commits: the followed commits have checkpoints and checksums beside them.
        DeltaTable writer = DeltaTable.create(storage, storage.tableUri(id), DatasetDefinition.of(AllTypes.SCHEMA, List.of("region")),
                new TableSettings(2, Duration.ofDays(30)));
        try (BufferAllocator allocator = new RootAllocator()) {
            try (VectorSchemaRoot batch = AllTypes.batch(allocator, 0, 20)) {
                TestTables.commit(writer, TestTables.write(writer, allocator, batch), new IdempotencyKey("w", 0));
            }
            SnapshotCache reader = new SnapshotCache(DeltaTable.at(storage, writer.root()));
            TableSnapshot first = reader.refresh();
            assertEquals(1, first.version());
            assertTrue(first == reader.refresh(), "nothing new on S3: the same snapshot");
            for (int b = 1; b <= 3; b++) {
                try (VectorSchemaRoot batch = AllTypes.batch(allocator, b * 20L, 20)) {
                    TestTables.commit(writer, TestTables.write(writer, allocator, batch), new IdempotencyKey("w", b));
                }
            }
            TableSnapshot followed = reader.refresh();
            assertEquals(4, followed.version());
            assertEquals(writer.snapshot().filesByPath(), followed.filesByPath(), "the same files and statistics as a load");
            assertEquals(80, TestTables.readAll(writer, followed, allocator).size());
            assertEquals(1, reader.fullLoads());
            assertEquals(1, reader.incrementalRefreshes());
        }
    }

    @Test
    void writeOptimizeExpireVacuumAndTimeTravelOnS3() throws Exception {
        StorageRoot storage = root(Map.of());
        DatasetId id = new DatasetId("tenant_a", new DatasetName("obs", "traces", "spans"));
        // A checkpoint every two commits: checkpoints and log cleanup run on S3 too.
        DeltaTable table = DeltaTable.create(storage, storage.tableUri(id),
                DatasetDefinition.of(SpanBatches.SCHEMA, List.of()).withEventTimeColumn("start_time"),
                new TableSettings(2, Duration.ofDays(30)));
        long now = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
        long tenDaysAgo = now - Duration.ofDays(10).toNanos() / 1000;
        try (BufferAllocator allocator = new RootAllocator()) {
            for (int b = 0; b < 4; b++) {
                try (VectorSchemaRoot batch = SpanBatches.batch(allocator, b * 100L, 800, b < 2 ? tenDaysAgo : now, 1_000L)) {
                    assertTrue(TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", b)).applied());
                }
            }
            TableSnapshot written = table.snapshot();
            assertEquals(4, written.version());
            assertEquals(3200, written.numRecords());
            assertEquals(3200, TestTables.readAll(table, written, allocator).size());
            assertTrue(objects(storage, "_delta_log", ".checkpoint.parquet") > 0, "checkpoints are written to S3");

            Maintenance maintenance = new Maintenance(table, allocator);
            MaintenanceMetrics optimized = maintenance.optimize();
            assertTrue(optimized.filesAfter() < optimized.filesBefore(), optimized.toString());
            assertEquals(3200, table.snapshot().numRecords(), "optimize keeps every row");

            maintenance.expireBefore(LocalDate.now(ZoneOffset.UTC).minusDays(5));
            TableSnapshot expired = table.snapshot();
            assertEquals(1600, TestTables.readAll(table, expired, allocator).size(), "the ten-day-old rows are gone");
            assertEquals(3200, TestTables.readAll(table, table.snapshotAt(written.version()), allocator).size(),
                    "time travel still reads the version before the rewrites");

            long dataObjects = objects(storage, "", ".parquet") - objects(storage, "_delta_log", ".parquet");
            Vacuum.Result vacuumed = new Vacuum(table, Clock.offset(Clock.systemUTC(), Duration.ofDays(2))).run(Duration.ofDays(1), false, false);
            assertEquals(dataObjects - expired.files().size(), vacuumed.files().size(), "every replaced file, nothing live");
            assertEquals(expired.files().size(), objects(storage, "", ".parquet") - objects(storage, "_delta_log", ".parquet"),
                    "the bucket holds only the live data files");
            assertEquals(1600, TestTables.readAll(table, table.snapshot(), allocator).size());
        }
    }

    /** Objects under the table's prefix whose names end with {@code suffix}, counted in the store's own directory. */
    private static long objects(StorageRoot storage, String under, String suffix) throws IOException {
        Path bucket = s3.dataDirectory().resolve(storage.uri().getHost());
        try (Stream<Path> files = Files.walk(bucket)) {
            return files.filter(Files::isRegularFile)
                    .filter(file -> file.toString().contains("/" + under))
                    .filter(file -> file.getFileName().toString().endsWith(suffix))
                    .count();
        }
    }

    @Test
    void checkpointsAndLogCleanupKeepTheLogShortOnS3() throws Exception {
        StorageRoot storage = root(Map.of());
        DatasetId id = new DatasetId("tenant_a", new DatasetName("main", "test", "log"));
        DeltaTable table = DeltaTable.create(storage, storage.tableUri(id), DatasetDefinition.of(AllTypes.SCHEMA, List.of()),
                new TableSettings(2, Duration.ofHours(1)));
        Path log = s3.dataDirectory().resolve(storage.uri().getHost()).resolve(storage.uri().getPath().substring(1))
                .resolve(id.relativePath()).resolve("_delta_log");
        try (BufferAllocator allocator = new RootAllocator()) {
            for (int commit = 0; commit < 4; commit++) {
                try (VectorSchemaRoot batch = AllTypes.batch(allocator, commit * 10L, 10)) {
                    TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", commit));
                }
            }
            // The store keeps modification times in its files: age the first commits past the log retention.
            FileTime twoDaysAgo = FileTime.from(Instant.now().minus(Duration.ofDays(2)));
            try (Stream<Path> entries = Files.list(log)) {
                for (Path entry : entries.toList()) {
                    Files.setLastModifiedTime(entry, twoDaysAgo);
                }
            }
            for (int commit = 4; commit < 6; commit++) {
                try (VectorSchemaRoot batch = AllTypes.batch(allocator, commit * 10L, 10)) {
                    TestTables.commit(table, TestTables.write(table, allocator, batch), new IdempotencyKey("w", commit));
                }
            }
            TableSnapshot latest = table.snapshot();
            assertEquals(6, latest.version());
            assertEquals(60, TestTables.readAll(table, latest, allocator).size(), "the table reads whole from the checkpoint");
        }
        try (Stream<Path> entries = Files.list(log)) {
            List<String> names = entries.map(entry -> entry.getFileName().toString()).sorted().toList();
            assertTrue(names.stream().noneMatch(name -> name.startsWith("00000000000000000000.")
                    || name.startsWith("00000000000000000001.")), "commits and checksums before the checkpoint, past the "
                    + "retention, are gone: " + names);
            assertTrue(names.contains("00000000000000000006.checkpoint.parquet"), names.toString());
        }
    }

    /**
     * The store writes a commit but its answer is lost; the writer's retry of the same PUT is refused, the name being
     * taken. That commit is the writer's own (its transaction id says so): it is acknowledged at its version, and the
     * files it adds stay.
     */
    @Test
    void aCommitWhoseAnswerIsLostIsTheWritersOwn() throws Exception {
        try (S3FaultProxy link = S3FaultProxy.start(s3.endpoint())) {
            // The client retries the PUT whose answer it did not get, as S3A does by default.
            StorageRoot storage = root(Map.of("fs.s3a.endpoint", link.endpoint().toString(), "fs.s3a.retry.limit", "3",
                    "fs.s3a.attempts.maximum", "3"));
            DatasetId id = new DatasetId("tenant_a", new DatasetName("main", "test", "lost_answer"));
            DeltaTable table = DeltaTable.create(storage, storage.tableUri(id), DatasetDefinition.of(AllTypes.SCHEMA, List.of()),
                    TableSettings.defaults());
            try (BufferAllocator allocator = new RootAllocator(); VectorSchemaRoot batch = AllTypes.batch(allocator, 0, 20)) {
                List<NewDataFile> files = TestTables.write(table, allocator, batch);
                link.loseAnswerOnce("_delta_log/00000000000000000001.json");
                GroupCommitResult committed = table.appendGroup(List.of(new PendingAppend(files, new IdempotencyKey("w", 0))), 0);
                assertTrue(link.answerLost(), "the commit's answer was lost on the way");
                assertEquals(new GroupCommitResult(1, List.of(true)), committed);
                TableSnapshot snapshot = table.snapshot();
                assertEquals(1, snapshot.version());
                assertEquals(20, TestTables.readAll(table, snapshot, allocator).size(), "the commit's files are all there");
            }
        }
    }

    @Test
    void theStoreRefusesTheSecondOfTwoRacingCreates() throws Exception {
        assertTrue(LogStores.commitsArePutIfAbsent(root(Map.of())));
    }

    @Test
    void twoProcessesRacingForEachVersionNeverBothWinAndLoseNothing() throws Exception {
        int rounds = 6;
        int rows = 10;
        StorageRoot storage = root(Map.of());
        DatasetId id = new DatasetId("tenant_a", new DatasetName("main", "test", "race"));
        DeltaTable table = DeltaTable.create(storage, storage.tableUri(id), DatasetDefinition.of(AllTypes.SCHEMA, List.of("region")),
                TableSettings.defaults());
        Path sync = Files.createDirectories(dir.resolve("sync-" + UUID.randomUUID()));
        // The two processes find the key pair in their environment: one through the SDK's default chain, one
        // through the environment provider alone.
        List<String> writers = List.of("node-a", "node-b");
        List<S3Settings.Credentials> sources = List.of(S3Settings.Credentials.DEFAULT, S3Settings.Credentials.ENVIRONMENT);
        List<Process> racers = new ArrayList<>();
        for (int w = 0; w < writers.size(); w++) {
            Properties settings = new Properties();
            settings.putAll(s3.hadoopSettings());
            settings.remove("fs.s3a.access.key");
            settings.remove("fs.s3a.secret.key");
            S3Settings withoutKeys = new S3Settings(s3.settings().endpoint(), "us-east-1", true, sources.get(w), Optional.empty(), Optional.empty());
            settings.putAll(withoutKeys.hadoopSettings());
            Path settingsFile = sync.resolve(writers.get(w) + ".properties");
            try (var out = Files.newBufferedWriter(settingsFile)) {
                settings.store(out, null);
            }
            ProcessBuilder racer = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                    CommitRacer.class.getName(), settingsFile.toString(), storage.uri().toString(), table.root().toString(),
                    writers.get(w), Long.toString(w * 1_000_000L), sync.toString(), Integer.toString(rounds), Integer.toString(rows))
                    .redirectErrorStream(true)
                    .redirectOutput(sync.resolve(writers.get(w) + ".log").toFile());
            racer.environment().put("AWS_ACCESS_KEY_ID", S3TestServer.ACCESS_KEY);
            racer.environment().put("AWS_SECRET_ACCESS_KEY", S3TestServer.SECRET_KEY);
            racers.add(racer.start());
        }
        try {
            for (int round = 0; round < rounds; round++) {
                for (String writer : writers) {
                    awaitFile(sync.resolve("ready-" + writer + "-" + round), racers);
                }
                Set<String> expected = new HashSet<>();
                for (String writer : writers) {
                    expected.add(Files.readString(sync.resolve("ready-" + writer + "-" + round)));
                }
                assertEquals(1, expected.size(), "both writers expect the same version in round " + round);
                Files.createFile(sync.resolve("go-" + round));
                List<String> outcomes = new ArrayList<>();
                for (String writer : writers) {
                    Path result = sync.resolve("result-" + writer + "-" + round);
                    awaitFile(result, racers);
                    outcomes.add(Files.readString(result));
                }
                assertEquals(1, outcomes.stream().filter("won"::equals).count(), "round " + round + ": " + outcomes);
                assertEquals(1, outcomes.stream().filter(o -> o.startsWith("lost")).count(), "round " + round + ": " + outcomes);
                System.out.println("round " + round + ": " + outcomes);
            }
            for (Process racer : racers) {
                assertTrue(racer.waitFor(1, TimeUnit.MINUTES));
                assertEquals(0, racer.exitValue());
            }
        } finally {
            racers.forEach(Process::destroyForcibly);
        }
        TableSnapshot snapshot = table.snapshot();
        assertEquals(2L * rounds, snapshot.version(), "one version per commit after the create, none overwritten");
        try (BufferAllocator allocator = new RootAllocator()) {
            List<Map<String, Object>> all = TestTables.readAll(table, snapshot, allocator);
            Set<Object> ids = new HashSet<>();
            all.forEach(row -> ids.add(row.get("id")));
            assertEquals(2 * rounds * rows, all.size(), "every acknowledged row is there");
            assertEquals(all.size(), ids.size(), "no row twice");
        }
        for (String writer : writers) {
            assertEquals(rounds - 1, table.lastSequence(writer).orElseThrow());
        }
    }

    private static void awaitFile(Path file, List<Process> racers) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
        while (!Files.exists(file)) {
            for (Process racer : racers) {
                if (!racer.isAlive() && racer.exitValue() != 0) {
                    throw new AssertionError("a racer exited with " + racer.exitValue() + " before " + file.getFileName());
                }
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("no " + file.getFileName() + " within two minutes");
            }
            Thread.sleep(10);
        }
    }
}
