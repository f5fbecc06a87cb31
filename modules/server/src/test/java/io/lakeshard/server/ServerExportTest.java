package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.lakeshard.api.v1.ExportQueryRequest;
import io.lakeshard.api.v1.ExportQueryResponse;
import io.lakeshard.api.v1.ExportedFile;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.LakeshardException;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.storage.S3TestServer;
import io.lakeshard.storage.fs.S3Settings;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server-side exports against a real server: a result as Parquet files in the tenant's directory (read back by
 * DuckDB and compared with the query's own aggregate), partitioned, on S3, through the CLI; and what a tenant may not
 * do, none of which leaves a file.
 */
class ServerExportTest {
    private static final String KEY = "export-key";
    private static final Duration WAIT = Duration.ofMinutes(2);
    private static final String ROWS = "SELECT i AS id, CASE WHEN i % 3 = 0 THEN 'eu' WHEN i % 3 = 1 THEN 'us' ELSE 'ap' END AS region, "
            + "i * 0.5 AS amount, 'note ' || i AS note FROM (SELECT unnest(generate_series(0, 59999)) AS i)";
    /** The same aggregate over the query and over the files: count, sums, and a checksum of every value. */
    private static final String CHECK = "count(*), sum(id), sum(amount), sum(hash(id, region, amount, note))";

    @TempDir
    Path dir;

    @Test
    void writesTheResultAsParquetFilesInTheTenantsDirectory() throws Exception {
        try (LakeshardServer server = start(""); LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
            ExportQueryResponse plain = client.exportQuery(request("reports/all").build(), WAIT);
            assertEquals(60_000, plain.getRows());
            Path all = dir.resolve("export/acme/reports/all").toRealPath();
            assertEquals(all.toUri().toString(), plain.getDirectory());
            assertTrue(plain.getFilesCount() >= 1 && plain.getFiles(0).getUri().endsWith(".parquet"), plain.toString());
            assertEquals(expected(), readBack("read_parquet('" + all + "/**/*.parquet')"));

            ExportQueryResponse partitioned = client.exportQuery(request("reports/by-region").addPartitionBy("region").build(), WAIT);
            assertEquals(60_000, partitioned.getRows());
            assertTrue(partitioned.getFilesList().stream().map(ExportedFile::getUri).allMatch(uri -> uri.matches(".*/region=(eu|us|ap)/.*\\.parquet")),
                    partitioned.toString());
            assertEquals(3, partitioned.getFilesList().stream().map(file -> file.getUri().replaceAll("/[^/]*$", "")).distinct().count());
            assertEquals(expected(), readBack("read_parquet('" + dir.resolve("export/acme/reports/by-region").toRealPath()
                    + "/**/*.parquet', hive_partitioning = true)"));

            LakeshardException exists = assertThrows(LakeshardException.class, () -> client.exportQuery(request("reports/all").build(), WAIT));
            assertEquals(Status.Code.ALREADY_EXISTS, exists.code(), exists.getMessage());
            ExportQueryResponse replaced = client.exportQuery(ExportQueryRequest.newBuilder().setSql("SELECT 1 AS id").setDestination("reports/all")
                    .setOverwrite(true).build(), WAIT);
            assertEquals(1, replaced.getRows());
            try (Stream<Path> files = Files.walk(all)) {
                assertEquals(replaced.getFilesCount(), files.filter(Files::isRegularFile).count(), "the old files are gone");
            }

            CliRun cli = CliRun.run("127.0.0.1:" + server.port(), KEY, 1, "export", ROWS, "--to-server-dir", "reports/cli", "--partition-by", "region");
            assertEquals(0, cli.exit(), cli.err());
            assertTrue(cli.out().contains("region=eu/") && cli.out().matches("(?s).*exported 60000 rows to \\d+ files in file:.*/export/acme/reports/cli/.*"),
                    cli.out());
        }
    }

    /**
     * Ten million rows, about 300 MB as Arrow, through a query engine limited to 256 MB and an exporting DuckDB limited
     * to 64 MB: the result streams from one to the other a batch at a time, and every row is in the files.
     */
    @Test
    void aTenMillionRowExportHoldsLittleOfItInMemory() throws Exception {
        String rows = "SELECT a * 1000 + b AS id, 'row number ' || (a * 1000 + b) AS note FROM (SELECT unnest(generate_series(0, 9999)) AS a) "
                + "CROSS JOIN (SELECT unnest(generate_series(0, 999)) AS b)";
        try (LakeshardServer server = start("lakeshard.exports.file-bytes = 64MiB\nlakeshard.exports.memory-limit = \"64MB\"\n");
                LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
            ExportQueryResponse written = client.exportQuery(ExportQueryRequest.newBuilder().setSql(rows).setDestination("big").build(), WAIT);
            assertEquals(10_000_000, written.getRows());
            try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement statement = duck.createStatement();
                    ResultSet results = statement.executeQuery("SELECT count(*), count(DISTINCT id), sum(id) FROM read_parquet('"
                            + dir.resolve("export/acme/big").toRealPath() + "/*.parquet')")) {
                assertTrue(results.next());
                assertEquals(10_000_000, results.getLong(1));
                assertEquals(10_000_000, results.getLong(2));
                assertEquals(49_999_995_000_000L, results.getLong(3));
            }
        }
    }

    @Test
    void refusesWhatATenantMayNotDoAndLeavesNoFile() throws Exception {
        Files.createDirectories(dir.resolve("export/other"));
        try (LakeshardServer server = start(""); LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
            assertRefused(client, request(dir.resolve("export/other/x").toString()), Status.Code.PERMISSION_DENIED, "destination:");
            assertRefused(client, request("../other/x"), Status.Code.PERMISSION_DENIED, "destination:");
            assertRefused(client, request("."), Status.Code.INVALID_ARGUMENT, "destination: name a directory inside");
            assertRefused(client, request("bad/partition").addPartitionBy("nope"), Status.Code.INVALID_ARGUMENT, "partition_by: the result has no column 'nope'");
            assertRefused(client, request("bad/sql").setSql("SELECT nope"), Status.Code.INVALID_ARGUMENT, "nope");
            assertRefused(client, request("bad/copy").setSql("COPY (SELECT 1) TO '" + dir.resolve("export/acme/leak.csv") + "'"),
                    Status.Code.INVALID_ARGUMENT, "");
            try (Stream<Path> files = Files.walk(dir.resolve("export"))) {
                assertEquals(List.of(), files.filter(Files::isRegularFile).toList(), "nothing written by a refused export");
            }
        }
    }

    @Test
    void writesToAnS3Prefix() throws Exception {
        try (S3TestServer s3 = S3TestServer.start(dir.resolve("s3"))) {
            String bucket = s3.createBucket();
            try (LakeshardServer server = start(TestServers.onS3(bucket, s3.endpoint()) + "lakeshard.exports.roots = [\"s3a://" + bucket + "/export/\"]\n");
                    LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
                ExportQueryResponse written = client.exportQuery(request("s3a://" + bucket + "/export/acme/daily").addPartitionBy("region").build(), WAIT);
                assertEquals("s3a://" + bucket + "/export/acme/daily/", written.getDirectory());
                Configuration conf = new Configuration(false);
                S3Settings.defaults().forEach(conf::set);
                s3.hadoopSettings().forEach(conf::set);
                Path copies = dir.resolve("copies");
                try (FileSystem fs = FileSystem.newInstance(URI.create("s3a://" + bucket + "/"), conf)) {
                    for (ExportedFile file : written.getFilesList()) {
                        Path local = copies.resolve(file.getUri().substring(written.getDirectory().length()));
                        Files.createDirectories(local.getParent());
                        try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(file.getUri()))) {
                            Files.copy(in, local, StandardCopyOption.REPLACE_EXISTING);
                        }
                        assertEquals(file.getBytes(), Files.size(local));
                    }
                }
                assertEquals(expected(), readBack("read_parquet('" + copies + "/**/*.parquet', hive_partitioning = true)"));
            }
        }
    }

    private LakeshardServer start(String settings) throws Exception {
        return TestServers.start(dir.resolve("server"), settings + """
                lakeshard.server.api-keys = [{ tenant = "acme", sha256 = "%s" }]
                """.formatted(ApiKeys.sha256(KEY)) + (settings.contains("file-bytes") ? "" : "lakeshard.exports.file-bytes = 64KiB\n") + (settings.contains("lakeshard.exports.roots") ? ""
                : "lakeshard.exports.roots = [\"" + dir.resolve("export") + "\"]\n"));
    }

    private static ExportQueryRequest.Builder request(String destination) {
        return ExportQueryRequest.newBuilder().setSql(ROWS).setDestination(destination);
    }

    private static void assertRefused(LakeshardClient client, ExportQueryRequest.Builder request, Status.Code code, String message) {
        LakeshardException refused = assertThrows(LakeshardException.class, () -> client.exportQuery(request.build(), WAIT));
        assertEquals(code, refused.code(), refused.getMessage());
        assertTrue(refused.getMessage().contains(message), refused.getMessage());
    }

    private static String expected() throws SQLException {
        return readBack("(" + ROWS + ")");
    }

    private static String readBack(String from) throws SQLException {
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement statement = duck.createStatement();
                ResultSet results = statement.executeQuery("SELECT " + CHECK + " FROM " + from)) {
            assertTrue(results.next());
            String row = results.getLong(1) + " rows, ids " + results.getLong(2) + ", amount " + results.getBigDecimal(3) + ", hash "
                    + results.getString(4);
            assertFalse(results.next());
            return row;
        }
    }
}
