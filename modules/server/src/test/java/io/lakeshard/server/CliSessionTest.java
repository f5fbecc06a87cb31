package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.service.auth.ApiKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's CLI session, scripted: the commands a user types, and what they print. */
class CliSessionTest {
    private static final String KEY = "cli-admin";

    @Test
    void registerWriteQueryDescribeOptimizeDeleteDrop(@TempDir Path dir) throws Exception {
        try (LakeshardServer server = TestServers.start(dir.resolve("server"), """
                lakeshard.maintenance.tick-interval = 200ms
                lakeshard.server.api-keys = [{ tenant = "acme", sha256 = "%s", admin = true }]
                """.formatted(ApiKeys.sha256(KEY)))) {
            String address = "127.0.0.1:" + server.port();
            Schema schema = new Schema(List.of(
                    new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
                    new Field("service", FieldType.nullable(ArrowType.Utf8.INSTANCE), null),
                    new Field("duration_ms", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null),
                    new Field("at", FieldType.nullable(new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")), null)));
            Path schemaFile = Files.writeString(dir.resolve("spans.schema.json"), schema.toJson());
            List<String> csv = new ArrayList<>(List.of("id,service,duration_ms,at"));
            for (int i = 0; i < 120; i++) {
                csv.add(i + "," + (i % 3 == 0 ? "cart" : "\"checkout, eu\"") + "," + (i * 1.5) + ",2026-11-20T10:" + String.format("%02d", i % 60) + ":00Z");
            }
            Path csvFile = Files.write(dir.resolve("spans.csv"), csv);
            Path jsonFile = Files.write(dir.resolve("more.jsonl"), List.of(
                    "{\"id\": 1000, \"service\": \"search\", \"duration_ms\": 3.5, \"at\": \"2026-11-20T11:00:00Z\"}",
                    "{\"id\": 1001, \"service\": null, \"duration_ms\": 4.5}"));

            CliRun registered = cli(address, "register", "obs.web.spans", "--schema", schemaFile.toString(), "--partition", "service");
            assertEquals(0, registered.exit(), registered.err());
            assertEquals("registered obs.web.spans", registered.out().trim());

            CliRun wrote = cli(address, "write", "obs.web.spans", "--file", csvFile.toString(), "--batch-rows", "50");
            assertEquals(0, wrote.exit(), wrote.err());
            assertTrue(wrote.out().startsWith("wrote 120 rows to obs.web.spans"), wrote.out());
            assertTrue(wrote.err().contains("100%"), "a progress bar: " + wrote.err());
            assertEquals(0, cli(address, "write", "obs.web.spans", "--file", jsonFile.toString()).exit());
            Path parquetFile = dir.resolve("more.parquet");
            try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
                    Statement statement = duck.createStatement()) {
                // An INTEGER id where the dataset has BIGINT: the CLI casts to the dataset's types.
                statement.execute("COPY (SELECT (2000 + i)::INTEGER AS id, 'parquet' AS service, i * 2.0 AS duration_ms, "
                        + "TIMESTAMPTZ '2026-11-20 12:00:00+00' AS at FROM range(10) t(i)) TO '" + parquetFile + "' (FORMAT PARQUET)");
            }
            CliRun wroteParquet = cli(address, "write", "obs.web.spans", "--file", parquetFile.toString());
            assertEquals(0, wroteParquet.exit(), wroteParquet.err());
            assertTrue(wroteParquet.out().startsWith("wrote 10 rows to obs.web.spans"), wroteParquet.out());

            CliRun table = cli(address, "query", "SELECT service, count(*) AS n FROM obs.web.spans GROUP BY service ORDER BY service NULLS LAST");
            assertEquals(0, table.exit(), table.err());
            assertTrue(table.out().contains("| service      | n  |"), table.out());
            assertTrue(table.out().contains("| cart         | 40 |"), table.out());
            assertTrue(table.out().contains("| checkout, eu | 80 |"), table.out());
            assertTrue(table.out().contains("| parquet      | 10 |"), table.out());
            assertTrue(table.out().contains("| NULL         | 1  |"), table.out());
            assertTrue(table.out().trim().endsWith("5 rows"), table.out());

            CliRun queries = cli(address, "queries");
            assertEquals(0, queries.exit(), queries.err());
            assertTrue(queries.out().contains("| query_id | label | started | node | sql |"), "none running: " + queries.out());
            CliRun cancel = cli(address, "cancel", "4b1f0000-0000-0000-0000-000000000000");
            assertEquals(2, cancel.exit(), cancel.out());
            assertTrue(cancel.err().contains("no query 4b1f0000-0000-0000-0000-000000000000 is running for your tenant"), cancel.err());

            CliRun asCsv = cli(address, "query", "SELECT id, service FROM obs.web.spans WHERE id < 2 ORDER BY id", "--format", "CSV");
            assertEquals("id,service\n0,cart\n1,\"checkout, eu\"\n", asCsv.out());

            CliRun described = cli(address, "describe", "obs.web.spans");
            assertTrue(described.out().contains("rows 132"), described.out());
            assertTrue(described.out().contains("partitioned by _ls_partition_date, service"), described.out());

            CliRun listed = cli(address, "list");
            assertTrue(listed.out().contains("obs.web.spans"), listed.out());

            CliRun optimized = cli(address, "optimize", "obs.web.spans");
            assertTrue(optimized.out().startsWith("done: optimize"), optimized.out() + optimized.err());

            CliRun keepsAll = cli(address, "expire", "obs.web.spans");
            assertEquals(2, keepsAll.exit());
            assertTrue(keepsAll.err().contains("policy.retention_days"), keepsAll.err());

            CliRun deleted = cli(address, "delete", "obs.web.spans", "--where", "service = 'cart' AND id >= 60");
            assertEquals("deleted 20 rows", deleted.out().trim().replaceAll(" \\(table version \\d+\\)", ""), deleted.err());

            CliRun refused = cli(address, "query", "COPY (SELECT 1) TO '/tmp/x.csv'");
            assertEquals(2, refused.exit());
            assertTrue(refused.err().startsWith("error: INVALID_ARGUMENT: only read statements are allowed"), refused.err());

            CliRun badRow = cli(address, "write", "obs.web.spans", "--file", Files.write(dir.resolve("bad.csv"), List.of("id,service", "x,cart")).toString());
            assertEquals(2, badRow.exit());
            assertTrue(badRow.err().contains("line 2, column 'id': cannot read 'x'"), badRow.err());

            assertEquals("dropped obs.web.spans", cli(address, "drop", "obs.web.spans").out().trim());
            CliRun gone = cli(address, "describe", "obs.web.spans");
            assertTrue(gone.err().startsWith("error: NOT_FOUND"), gone.err());
        }
    }

    private static CliRun cli(String address, String... args) {
        return CliRun.run(address, KEY, 1, args);
    }
}
