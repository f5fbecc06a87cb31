package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.lakeshard.api.v1.ImportJob;
import io.lakeshard.api.v1.StartImportRequest;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.LakeshardException;
import io.lakeshard.client.QueryResults;
import io.lakeshard.cluster.TestCluster;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.storage.S3TestServer;
import io.lakeshard.storage.fs.S3Settings;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Import jobs against a real server: hive-partitioned Parquet files of several writers' making, widened into the
 * dataset's types; a corrupt file and one that cannot fit reported while the rest goes in; a file still being written
 * left until it is old enough; a file too large for one write imported in slices; a server stopped in the middle of a
 * job and started again, after which every file is in the dataset exactly once; and requests a tenant may not make.
 */
class ImportTest {
    private static final String KEY = "import-key";
    private static final String OTHER_KEY = "import-other-key";
    private static final String DATASET = "lake.imports.events";
    private static final Duration DONE = Duration.ofSeconds(90);
    private static final Instant OLD = Instant.parse("2026-11-01T00:00:00Z");


    @TempDir
    Path dir;

    @Test
    void importsWhatFitsReportsWhatDoesNotAndWaitsForFilesStillBeingWritten() throws Exception {
        Path source = dir.resolve("import/acme/events");
        List<long[]> ranges = new ArrayList<>();
        // ids [0, 100): ZSTD, narrower types (INTEGER, FLOAT, TIMESTAMP_MS), every column.
        ImportFiles.write(source.resolve("region=eu/part-00000.parquet"), 0, 100, "ZSTD", "id::INTEGER", "amount::FLOAT", "happened::TIMESTAMP_MS", true);
        ranges.add(new long[] {0, 100});
        // ids [100, 2600): Snappy, the dataset's own types, no note column (nullable: null), larger than one write.
        ImportFiles.write(source.resolve("region=us/part-00001.parquet"), 100, 2600, "SNAPPY", "id::BIGINT", "amount::DOUBLE", "happened::TIMESTAMPTZ", false);
        ranges.add(new long[] {100, 2600});
        // ids [2600, 2650): uncompressed, nanosecond timestamps that are whole microseconds.
        ImportFiles.write(source.resolve("region=us/part-00002.parquet"), 2600, 2650, "UNCOMPRESSED", "id::BIGINT", "amount::DOUBLE", "happened::TIMESTAMP_NS", true);
        ranges.add(new long[] {2600, 2650});
        Files.writeString(source.resolve("region=eu/broken.parquet"), "PAR1 this is not a Parquet file", StandardCharsets.UTF_8);
        ImportFiles.write(source.resolve("region=eu/text-ids.parquet"), 5000, 5010, "ZSTD", "id::VARCHAR", "amount::DOUBLE", "happened::TIMESTAMP", true);
        Files.writeString(source.resolve("region=eu/_SUCCESS"), "", StandardCharsets.UTF_8);
        Files.createDirectories(source.resolve("_temporary"));
        ImportFiles.write(source.resolve("_temporary/part-9.parquet"), 9000, 9010, "ZSTD", "id::BIGINT", "amount::DOUBLE", "happened::TIMESTAMP", true);
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.setLastModifiedTime(file, FileTime.from(OLD));
            }
        }
        // Being written: too young until the test ages it.
        Path young = source.resolve("region=eu/part-00003.parquet");
        ImportFiles.write(young, 3000, 3020, "ZSTD", "id::BIGINT", "amount::DOUBLE", "happened::TIMESTAMP", true);

        try (LakeshardServer server = start(); LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
            client.register(DATASET, ImportFiles.SCHEMA, List.of("region"));
            ImportJob started = client.startImport(request("first", source.toString()).setMinAgeMillis(Duration.ofMinutes(10).toMillis())
                    .setIntervalMillis(1000).build());
            assertEquals("RUNNING", started.getState());
            assertEquals(started.getJobId(), client.startImport(request("first", source.toString())
                    .setMinAgeMillis(Duration.ofMinutes(10).toMillis()).setIntervalMillis(1000).build()).getJobId(), "a retried start is the job");

            ImportJob waiting = await(client, "first", job -> job.getFilesImported() == 3 && job.getFilesFailed() == 2);
            assertEquals("RUNNING", waiting.getState(), "a one-shot job waits for the young file: " + waiting);
            assertEquals(1, waiting.getFilesWaiting(), waiting.toString());
            assertEquals(2650, waiting.getRows());
            assertEquals(count(client), 2650, "what was imported is there");

            Map<String, String> failures = new TreeMap<>();
            waiting.getFailuresList().forEach(failure -> failures.put(failure.getPath(), failure.getReason()));
            assertEquals(List.of("region=eu/broken.parquet", "region=eu/text-ids.parquet"), List.copyOf(failures.keySet()));
            assertTrue(failures.get("region=eu/broken.parquet").contains("not a readable Parquet file"), failures.toString());
            assertTrue(failures.get("region=eu/text-ids.parquet").contains("column 'id' is VARCHAR in the file and BIGINT in the dataset"),
                    failures.toString());

            Files.setLastModifiedTime(young, FileTime.from(OLD));
            ranges.add(new long[] {3000, 3020});
            ImportJob finished = await(client, "first", job -> job.getState().equals("FINISHED"));
            assertEquals(4, finished.getFilesImported(), finished.toString());
            assertEquals(2670, finished.getRows());
            assertTrue(finished.getCommits() >= 4, "the large file went in slices of at most 1,000 rows: " + finished);
            assertEquals(expected(ranges), actual(client, ranges), "every row once, every column as written");

            LakeshardException other = assertThrows(LakeshardException.class,
                    () -> LakeshardClient.connect("127.0.0.1", server.port(), OTHER_KEY).importJob("first"));
            assertEquals(Status.Code.NOT_FOUND, other.code(), "another tenant does not see the job");
            assertEquals(List.of("first"), client.importJobs().stream().map(ImportJob::getJobId).toList());
        }
    }

    @Test
    void theCliFollowsAJobToItsEndAndListsTheJobs() throws Exception {
        Path source = dir.resolve("import/acme/cli");
        ImportFiles.write(source.resolve("a.parquet"), 0, 40, "ZSTD", "id::BIGINT", "amount::DOUBLE", "happened::TIMESTAMP", true);
        ImportFiles.write(source.resolve("b.parquet"), 40, 100, "SNAPPY", "id::INTEGER", "amount::DOUBLE", "happened::TIMESTAMP", false);
        Files.writeString(source.resolve("c.parquet"), "not Parquet", StandardCharsets.UTF_8);
        try (LakeshardServer server = start(); LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
            client.register(DATASET, ImportFiles.SCHEMA, List.of("region"));
            String address = "127.0.0.1:" + server.port();
            CliRun run = CliRun.run(address, KEY, 2, "import", "start", source.toString(), "--into", DATASET, "--job", "by-cli");
            assertEquals(1, run.exit(), "a file failed: " + run.out() + run.err());
            assertTrue(run.out().matches("(?s)finished: imported 2 of 3 files \\(100 rows, [\\d.]+ kB\\) into lake\\.imports\\.events in "
                    + "[\\d.]+ s; 1 failed:\\n.*c\\.parquet .*not a readable Parquet file.*"), run.out());
            assertEquals(100, count(client));

            CliRun listed = CliRun.run(address, KEY, 2, "import", "status");
            assertEquals(0, listed.exit(), listed.err());
            assertTrue(listed.out().matches("(?s).*by-cli +\\| lake\\.imports\\.events +\\| FINISHED +\\| 2/3 +\\| 1 +\\| 0 +\\| 100 .*"),
                    listed.out());
            CliRun one = CliRun.run(address, KEY, 2, "import", "status", "by-cli");
            assertTrue(one.out().contains("source " + source.toRealPath().toUri()) && one.out().contains("c.parquet"), one.out());
            CliRun again = CliRun.run(address, KEY, 2, "import", "start", source.toString(), "--into", DATASET, "--job", "by-cli");
            assertTrue(again.out().startsWith("finished: imported 2 of 3 files (100 rows"), "run again, nothing new: " + again.out());
            assertEquals(100, count(client), "no file twice");
            ImportFiles.write(source.resolve("d.parquet"), 100, 130, "ZSTD", "id::BIGINT", "amount::DOUBLE", "happened::TIMESTAMP", true);
            CliRun withNewFile = CliRun.run(address, KEY, 2, "import", "start", source.toString(), "--into", DATASET, "--job", "by-cli");
            assertTrue(withNewFile.out().startsWith("finished: imported 3 of 4 files (130 rows"), "only the new file: " + withNewFile.out());
            assertEquals(130, count(client));

            CliRun unknown = CliRun.run(address, KEY, 2, "import", "status", "nope");
            assertEquals(2, unknown.exit());
            assertTrue(unknown.err().contains("no import job nope"), unknown.err());
        }
    }

    @Test
    void importsFromAnS3Prefix() throws Exception {
        try (S3TestServer s3 = S3TestServer.start(dir.resolve("s3"))) {
            String bucket = s3.createBucket();
            Configuration conf = new Configuration(false);
            S3Settings.defaults().forEach(conf::set);
            s3.hadoopSettings().forEach(conf::set);
            List<long[]> ranges = List.of(new long[] {0, 300}, new long[] {300, 420});
            try (FileSystem fs = FileSystem.newInstance(URI.create("s3a://" + bucket + "/"), conf)) {
                upload(fs, bucket, "import/acme/lake/region=eu/part-0.parquet", 0, 300, "ZSTD", "id::INTEGER");
                upload(fs, bucket, "import/acme/lake/region=us/part-1.parquet", 300, 420, "SNAPPY", "id::BIGINT");
                upload(fs, bucket, "import/acme/lake/region=us/part-2.parquet", 900, 910, "SNAPPY", "id::VARCHAR");
            }
            try (LakeshardServer server = TestServers.start(dir.resolve("server"), TestServers.onS3(bucket, s3.endpoint()) + """
                    lakeshard.server.api-keys = [{ tenant = "acme", sha256 = "%s" }]
                    lakeshard.imports.roots = ["s3a://%s/import/"]
                    """.formatted(ApiKeys.sha256(KEY), bucket));
                    LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
                client.register(DATASET, ImportFiles.SCHEMA, List.of("region"));
                client.startImport(request("from-s3", "s3a://" + bucket + "/import/acme/lake").build());
                ImportJob finished = await(client, "from-s3", job -> job.getState().equals("FINISHED"));
                assertEquals(2, finished.getFilesImported(), finished.toString());
                assertEquals(1, finished.getFilesFailed(), finished.toString());
                assertEquals("region=us/part-2.parquet", finished.getFailures(0).getPath());
                assertEquals(expected(ranges), actual(client, ranges));
                try (QueryResults regions = client.query("SELECT count(*) FILTER (WHERE region = 'eu'), count(*) FILTER (WHERE region = 'us') FROM "
                        + DATASET)) {
                    regions.next();
                    assertEquals(300L, ((Number) regions.batch().getVector(0).getObject(0)).longValue(), "partition values from the path");
                    assertEquals(120L, ((Number) regions.batch().getVector(1).getObject(0)).longValue());
                }
            }
        }
    }

    /** A file made locally by {@link #write} and put in the bucket through S3A, as any S3 client would. */
    private void upload(FileSystem fs, String bucket, String key, long from, long to, String compression, String id) throws Exception {
        Path local = dir.resolve("upload").resolve(key);
        ImportFiles.write(local, from, to, compression, id, "amount::DOUBLE", "happened::TIMESTAMP", true);
        try (OutputStream out = fs.create(new org.apache.hadoop.fs.Path("s3a://" + bucket + "/" + key))) {
            Files.copy(local, out);
        }
    }

    @Test
    void importsFilesLaidOutAsSparkWritesThem() throws Exception {
        Path source = dir.resolve("import/acme/spark");
        SparkStyleParquet.write(source.resolve("part-00000-snappy-dictionary.parquet"), 0, 700, CompressionCodecName.SNAPPY, true);
        SparkStyleParquet.write(source.resolve("part-00001-zstd-plain.parquet"), 700, 1500, CompressionCodecName.ZSTD, false);
        SparkStyleParquet.write(source.resolve("part-00002-zstd-dictionary.parquet"), 1500, 2000, CompressionCodecName.ZSTD, true);
        SparkStyleParquet.write(source.resolve("part-00003-uncompressed-plain.parquet"), 2000, 2100, CompressionCodecName.UNCOMPRESSED, false);
        Files.writeString(source.resolve("_SUCCESS"), "", StandardCharsets.UTF_8);
        try (LakeshardServer server = start(); LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
            client.register("lake.imports.spark", SparkStyleParquet.DATASET, List.of());
            client.startImport(request("spark", source.toString()).setDataset("lake.imports.spark").build());
            ImportJob finished = await(client, "spark", job -> job.getState().equals("FINISHED"));
            assertEquals(4, finished.getFilesImported(), "the .crc and _SUCCESS files are not data: " + finished);
            assertEquals(0, finished.getFilesFailed(), finished.toString());
            try (QueryResults results = client.query("SELECT count(*), count(DISTINCT id), sum(id), " + SparkStyleParquet.EVERY_VALUE_AS_WRITTEN
                    + " FROM lake.imports.spark")) {
                assertTrue(results.next());
                VectorSchemaRoot batch = results.batch();
                assertEquals(2100L, ((Number) batch.getVector(0).getObject(0)).longValue());
                assertEquals(2100L, ((Number) batch.getVector(1).getObject(0)).longValue());
                assertEquals(2100L * 2099 / 2, ((Number) batch.getVector(2).getObject(0)).longValue());
                assertEquals(true, batch.getVector(3).getObject(0), "every value as Spark's layout holds it");
            }
        }
    }

    @Test
    void aWatchedSourceImportsEachNewFileOnceUntilStopped() throws Exception {
        Path source = dir.resolve("import/acme/watched");
        ImportFiles.write(source.resolve("day=1/a.parquet"), 0, 50, "ZSTD", "id::BIGINT", "amount::DOUBLE", "happened::TIMESTAMP", true);
        try (LakeshardServer server = start(); LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
            client.register(DATASET, ImportFiles.SCHEMA, List.of("region"));
            ImportJob started = client.startImport(request("watched", source.toString()).setWatch(true).setIntervalMillis(1000).build());
            assertEquals("WATCHING", started.getState());
            await(client, "watched", job -> job.getFilesImported() == 1);
            ImportFiles.write(source.resolve("day=2/b.parquet"), 50, 80, "ZSTD", "id::BIGINT", "amount::DOUBLE", "happened::TIMESTAMP", true);
            ImportJob two = await(client, "watched", job -> job.getFilesImported() == 2);
            assertEquals("WATCHING", two.getState());
            assertEquals(80, two.getRows());
            // Listed again at every interval: nothing twice.
            long listed = two.getLastListedAtMillis();
            ImportJob later = await(client, "watched", job -> job.getLastListedAtMillis() > listed);
            assertEquals(2, later.getFilesImported(), later.toString());
            assertEquals(80, count(client));

            ImportJob stopped = client.stopImport("watched");
            assertEquals("STOPPED", stopped.getState());
            ImportFiles.write(source.resolve("day=3/c.parquet"), 80, 90, "ZSTD", "id::BIGINT", "amount::DOUBLE", "happened::TIMESTAMP", true);
            // Started again with the same request, it watches on and takes only the new file.
            assertEquals("WATCHING", client.startImport(request("watched", source.toString()).setWatch(true).setIntervalMillis(1000).build())
                    .getState());
            ImportJob resumed = await(client, "watched", job -> job.getFilesImported() == 3);
            assertEquals(90, resumed.getRows());
            assertEquals(90, count(client), "every file once");
        }
    }

    @Test
    void refusesWhatATenantMayNotImport() throws Exception {
        Files.createDirectories(dir.resolve("import/acme/ok"));
        Files.createDirectories(dir.resolve("import/other/theirs"));
        try (LakeshardServer server = start(); LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
            client.register(DATASET, ImportFiles.SCHEMA, List.of("region"));
            String ok = dir.resolve("import/acme/ok").toString();
            assertRefused(client, request("a", dir.resolve("import/other/theirs").toString()), Status.Code.PERMISSION_DENIED, "source:");
            assertRefused(client, request("a", ok + "/../../other/theirs"), Status.Code.PERMISSION_DENIED, "source:");
            assertRefused(client, request("a", "/etc"), Status.Code.PERMISSION_DENIED, "source:");
            assertRefused(client, request("a", "http://127.0.0.1:1/x"), Status.Code.INVALID_ARGUMENT, "source:");
            assertRefused(client, request("a", ok).setGlob("[unclosed"), Status.Code.INVALID_ARGUMENT, "glob:");
            assertRefused(client, request("not a job id", ok), Status.Code.INVALID_ARGUMENT, "job_id:");
            assertRefused(client, request("a", ok).setDataset("lake.imports.missing"), Status.Code.NOT_FOUND, "does not exist");
            assertRefused(client, request("a", ok).setWatch(true).setIntervalMillis(10), Status.Code.INVALID_ARGUMENT, "interval_millis:");
            client.startImport(request("a", ok).build());
            assertRefused(client, request("a", ok).setGlob("*.parquet"), Status.Code.ALREADY_EXISTS, "job_id:");
            LakeshardException missing = assertThrows(LakeshardException.class, () -> client.importJob("nothing"));
            assertEquals(Status.Code.NOT_FOUND, missing.code());
        }
    }

    @Test
    void aServerStoppedInTheMiddleOfAJobImportsEveryFileOnceAfterItsRestart() throws Exception {
        Path source = dir.resolve("import/acme/many");
        List<long[]> ranges = new ArrayList<>();
        for (int file = 0; file < 30; file++) {
            ImportFiles.write(source.resolve("part-" + String.format("%05d", file) + ".parquet"), file * 500L, file * 500L + 500, "ZSTD", "id::BIGINT",
                    "amount::DOUBLE", "happened::TIMESTAMP", true);
            ranges.add(new long[] {file * 500L, file * 500L + 500});
        }
        try (LakeshardServer server = start(); LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
            client.register(DATASET, ImportFiles.SCHEMA, List.of("region"));
            client.startImport(request("restarted", source.toString()).build());
            ImportJob partway = await(client, "restarted", job -> job.getCommits() >= 3);
            assertTrue(partway.getFilesImported() < 30, "stopped before the end: " + partway);
        }
        try (LakeshardServer server = start(); LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
            ImportJob finished = await(client, "restarted", job -> job.getState().equals("FINISHED"));
            assertEquals(30, finished.getFilesImported(), finished.toString());
            assertEquals(15_000, finished.getRows(), finished.toString());
            assertEquals(15, finished.getCommits(), "two 500-row files to a write of at most 1,000 rows: " + finished);
            assertEquals(expected(ranges), actual(client, ranges), "every file once after the restart");
        }
    }

    private LakeshardServer start() throws Exception {
        return TestServers.start(dir.resolve("server"), """
                lakeshard.server.api-keys = [
                  { tenant = "acme", sha256 = "%s" },
                  { tenant = "other", sha256 = "%s" }
                ]
                lakeshard.imports {
                  roots = ["%s"]
                  max-rows-per-write = 1000
                  batch-bytes = 1MiB
                  retry-backoff = 200ms
                }
                """.formatted(ApiKeys.sha256(KEY), ApiKeys.sha256(OTHER_KEY), dir.resolve("import")));
    }

    private static StartImportRequest.Builder request(String jobId, String source) {
        return StartImportRequest.newBuilder().setJobId(jobId).setDataset(DATASET).setSource(source);
    }

    private static void assertRefused(LakeshardClient client, StartImportRequest.Builder request, Status.Code code, String message) {
        LakeshardException refused = assertThrows(LakeshardException.class, () -> client.startImport(request.build()));
        assertEquals(code, refused.code(), refused.getMessage());
        assertTrue(refused.getMessage().contains(message), refused.getMessage());
    }

    private interface Condition {
        boolean holds(ImportJob job);
    }

    private static ImportJob await(LakeshardClient client, String jobId, Condition condition) {
        ImportJob[] last = new ImportJob[1];
        TestCluster.await(DONE, () -> {
            last[0] = client.importJob(jobId);
            return condition.holds(last[0]);
        }, "import job " + jobId + " (last seen: " + (last[0] == null ? "none" : last[0]) + ")");
        return last[0];
    }

    private static long count(LakeshardClient client) {
        try (QueryResults results = client.query("SELECT count(*) FROM " + DATASET)) {
            results.next();
            return ((Number) results.batch().getVector(0).getObject(0)).longValue();
        }
    }

    /** What the dataset must hold for the id ranges: computed by DuckDB from the same formulas. */
    private static List<String> expected(List<long[]> ranges) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement statement = duck.createStatement()) {
            for (long[] range : ranges) {
                try (ResultSet results = statement.executeQuery("SELECT count(*), sum(i), sum(i / 4), sum(i % 1000) FROM range(" + range[0] + ", " + range[1] + ") t(i)")) {
                    results.next();
                    rows.add(range[0] + ": " + results.getLong(1) + " rows, ids " + results.getLong(2) + ", amount " + results.getDouble(3)
                            + ", v " + results.getLong(4));
                }
            }
        }
        return rows;
    }

    /** The dataset's rows per id range, as {@link #expected} gives them; and no row outside the ranges. */
    private static List<String> actual(LakeshardClient client, List<long[]> ranges) {
        List<String> rows = new ArrayList<>();
        long total = 0;
        for (long[] range : ranges) {
            try (QueryResults results = client.query("SELECT count(*), count(DISTINCT id), sum(id), sum(amount), sum(attrs.v), "
                    + "bool_and(happened = TIMESTAMPTZ '2026-11-20 00:00:00+00' + to_seconds(id)), "
                    + "bool_and(note IS NULL OR note = 'note ' || id), bool_and(attrs.k = 'k' || id) "
                    + "FROM " + DATASET + " WHERE id >= " + range[0] + " AND id < " + range[1])) {
                assertTrue(results.next());
                VectorSchemaRoot batch = results.batch();
                long count = ((Number) batch.getVector(0).getObject(0)).longValue();
                assertEquals(count, ((Number) batch.getVector(1).getObject(0)).longValue(), "no id twice");
                assertEquals(true, batch.getVector(5).getObject(0), "timestamps as written");
                assertEquals(true, batch.getVector(6).getObject(0), "notes as written");
                assertEquals(true, batch.getVector(7).getObject(0), "structs as written");
                rows.add(range[0] + ": " + count + " rows, ids " + batch.getVector(2).getObject(0) + ", amount "
                        + ((Number) batch.getVector(3).getObject(0)).doubleValue() + ", v " + batch.getVector(4).getObject(0));
                total += count;
            }
        }
        assertEquals(total, count(client), "no rows but those of the files");
        return rows;
    }
}
