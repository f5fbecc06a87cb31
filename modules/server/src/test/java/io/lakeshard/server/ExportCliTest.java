package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.api.v1.Consistency;
import io.lakeshard.api.v1.QueryRequest;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.QueryResults;
import io.lakeshard.service.auth.ApiKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.arrow.c.ArrowArrayStream;
import org.apache.arrow.c.Data;
import org.duckdb.DuckDBConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lakeshard export} against a real server: every type into each format and back (read by DuckDB, compared with
 * the query's result as the SDK gets it), failures that leave no file, the overwrite guard, and a large export in a
 * CLI process whose memory does not grow with the result.
 */
class ExportCliTest {
    private static final String KEY = "export-admin";

    /** Every kind of value a query can return: the second row at the edges, the third all nulls. */
    private static final String EVERY_TYPE = """
            SELECT 1 AS id, true AS flag, (-128)::TINYINT AS i8, 32767::SMALLINT AS i16, (-2147483648)::INTEGER AS i32,
                   9223372036854775807::BIGINT AS i64, 255::UTINYINT AS u8, 18446744073709551615::UBIGINT AS u64,
                   123456789012345678901234567890::HUGEINT AS huge, 1.5::FLOAT AS f32, 0.1::DOUBLE AS f64,
                   12345.678::DECIMAL(18,3) AS dec, 1234567890123456789012345678.0123456789::DECIMAL(38,10) AS wide_dec,
                   'comma, "quote"' || chr(10) || 'line é 😀' AS s, '\\x00\\x01\\xFF'::BLOB AS bin, DATE '2026-11-20' AS d,
                   TIME '10:11:12.345678' AS t, TIMESTAMP '2026-11-20 10:11:12.123456' AS ts,
                   TIMESTAMPTZ '2026-11-20 10:11:12.5+00' AS tstz, TIMESTAMP_NS '2026-11-20 10:11:12.123456789' AS ts_ns,
                   INTERVAL '1 month 2 days 3 seconds' AS iv, UUID '4b1f0000-0000-0000-0000-000000000001' AS uid,
                   [1, NULL, 3] AS ints, ['a', 'b,c'] AS strs, {'a': 1, 'b': 'x'} AS st, MAP {'k': 1, 'l': 2} AS m,
                   [{'tag': 'x', 'happened': TIMESTAMPTZ '2026-11-20 10:00:00+00'}] AS events
            UNION ALL
            SELECT 2, false, 127, -32768, 2147483647, -9223372036854775808, 0, 0, -1, -0.25, 1e300, -0.001, 0, '', ''::BLOB,
                   DATE '1969-12-31', TIME '00:00:00', TIMESTAMP '1969-12-31 23:59:59.999999', TIMESTAMPTZ '1969-07-20 20:17:40+00',
                   TIMESTAMP_NS '1970-01-01 00:00:00', INTERVAL '36 hours 0.5 seconds', UUID 'ffffffff-ffff-ffff-ffff-ffffffffffff',
                   []::INTEGER[], []::VARCHAR[], {'a': NULL, 'b': NULL}::STRUCT(a INTEGER, b VARCHAR),
                   MAP {}::MAP(VARCHAR, INTEGER), []::STRUCT(tag VARCHAR, happened TIMESTAMPTZ)[]
            UNION ALL
            SELECT 3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
            ORDER BY id
            """;

    @TempDir
    static Path serverDir;

    private static LakeshardServer server;
    private static String address;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServers.start(serverDir, """
                lakeshard.server.api-keys = [{ tenant = "acme", sha256 = "%s", admin = true }]
                """.formatted(ApiKeys.sha256(KEY)));
        address = "127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @Test
    void everyTypeToEachFormatReadsBackAsTheQueryReturnedIt(@TempDir Path dir) throws Exception {
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
                Statement statement = duck.createStatement()) {
            statement.execute("SET TimeZone = 'UTC'");
            loadExpected(duck);
            Map<String, String> types = columnTypes(statement);

            Path parquet = dir.resolve("every.parquet");
            CliRun toParquet = cli("export", EVERY_TYPE, "--to", parquet.toString());
            assertEquals(0, toParquet.exit(), toParquet.err());
            assertTrue(toParquet.out().matches("exported 3 rows to .*every\\.parquet \\(\\d+(\\.\\d)? k?B\\) in \\d+\\.\\d s\\n"),
                    toParquet.out());
            statement.execute("CREATE TABLE parquet AS SELECT * FROM read_parquet('" + parquet + "')");
            assertEquals(types, columnTypes(statement, "parquet"), "Parquet keeps the result's types");
            assertEquals(List.of(), differences(statement, "parquet", types.keySet()));

            Path csv = dir.resolve("every.csv");
            CliRun toCsv = cli("export", EVERY_TYPE, "--to", csv.toString());
            assertEquals(0, toCsv.exit(), toCsv.err());
            String text = Files.readString(csv, StandardCharsets.UTF_8);
            assertTrue(text.startsWith(String.join(",", types.keySet()) + "\n1,true,-128,32767,-2147483648,9223372036854775807,255,"
                    + "18446744073709551615,123456789012345678901234567890,1.5,0.1,12345.678,1234567890123456789012345678.0123456789,"
                    + "\"comma, \"\"quote\"\"\nline é 😀\",AAH/,2026-11-20,10:11:12.345678,2026-11-20T10:11:12.123456,"
                    + "2026-11-20T10:11:12.500Z,2026-11-20T10:11:12.123456789,P1M2DT3S,4b1f0000-0000-0000-0000-000000000001,"
                    + "\"[1,null,3]\",\"[\"\"a\"\",\"\"b,c\"\"]\",\"{\"\"a\"\":1,\"\"b\"\":\"\"x\"\"}\",\"{\"\"k\"\":1,\"\"l\"\":2}\","
                    + "\"[{\"\"tag\"\":\"\"x\"\",\"\"happened\"\":\"\"2026-11-20T10:00:00Z\"\"}]\"\n"), text);
            assertTrue(text.contains("\n2,false,127,-32768,2147483647,-9223372036854775808,0,0,-1,-0.25,1.0E300,-0.001,0.0000000000,"
                    + "\"\",\"\",1969-12-31,00:00:00,1969-12-31T23:59:59.999999,1969-07-20T20:17:40Z,1970-01-01T00:00:00,PT36H0.5S,"), text);
            assertTrue(text.endsWith("\n3" + ",".repeat(types.size() - 1) + "\n"), "nulls are empty cells: " + text);
            statement.execute("CREATE TABLE csv AS SELECT " + typed(types, ArrowText.CSV)
                    + " FROM read_csv('" + csv + "', header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"', "
                    + "allow_quoted_nulls = false)");
            assertEquals(List.of(), differences(statement, "csv", withoutInterval(types)));

            Path jsonl = dir.resolve("every.jsonl");
            CliRun toJsonl = cli("export", EVERY_TYPE, "--to", jsonl.toString());
            assertEquals(0, toJsonl.exit(), toJsonl.err());
            List<String> lines = Files.readAllLines(jsonl, StandardCharsets.UTF_8);
            assertEquals(3, lines.size());
            JsonNode first = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).readTree(lines.get(0));
            assertTrue(first.get("flag").isBoolean());
            assertTrue(first.get("i64").isLong() && first.get("i64").longValue() == Long.MAX_VALUE, first.toString());
            assertEquals("18446744073709551615", first.get("u64").bigIntegerValue().toString());
            assertTrue(first.get("u64").isBigInteger() && first.get("huge").isBigInteger(), first.toString());
            assertTrue(first.get("f64").isNumber() && first.get("dec").isBigDecimal(), first.toString());
            assertEquals("12345.678", first.get("dec").decimalValue().toPlainString());
            assertEquals("1234567890123456789012345678.0123456789", first.get("wide_dec").decimalValue().toPlainString());
            assertEquals("AAH/", first.get("bin").textValue(), "binary as base64");
            assertEquals("2026-11-20T10:11:12.500Z", first.get("tstz").textValue());
            assertEquals("P1M2DT3S", first.get("iv").textValue());
            assertTrue(first.get("ints").isArray() && first.get("ints").get(1).isNull(), first.toString());
            assertEquals(1, first.get("st").get("a").intValue());
            assertEquals(2, first.get("m").get("l").intValue());
            assertEquals("2026-11-20T10:00:00Z", first.get("events").get(0).get("happened").textValue());
            assertTrue(new ObjectMapper().readTree(lines.get(2)).get("st").isNull());
            statement.execute("CREATE TABLE jsonl AS SELECT " + typed(types, ArrowText.JSON) + " FROM read_ndjson_objects('" + jsonl + "')");
            // DuckDB reads a JSON number with a fraction as a double: a 38-digit decimal is checked above, through Jackson.
            assertEquals(List.of(), differences(statement, "jsonl", withoutInterval(types).stream().filter(c -> !c.equals("wide_dec")).toList()));

            CliRun chosen = cli("export", "SELECT 1 AS one", "--to", dir.resolve("one.txt").toString(), "--format", "JSONL");
            assertEquals(0, chosen.exit(), chosen.err());
            assertEquals("{\"one\":1}\n", Files.readString(dir.resolve("one.txt"), StandardCharsets.UTF_8));
            CliRun unknown = cli("export", "SELECT 1", "--to", dir.resolve("one.xlsx").toString());
            assertEquals(2, unknown.exit());
            assertTrue(unknown.err().contains("cannot tell the format of 'one.xlsx'"), unknown.err());
        }
    }

    @Test
    void anEmptyResultIsAHeaderOrNothing(@TempDir Path dir) throws Exception {
        String none = "SELECT 1 AS a, 'x' AS b WHERE false";
        assertEquals(0, cli("export", none, "--to", dir.resolve("none.csv").toString()).exit());
        assertEquals("a,b\n", Files.readString(dir.resolve("none.csv"), StandardCharsets.UTF_8));
        assertEquals(0, cli("export", none, "--to", dir.resolve("none.jsonl").toString()).exit());
        assertEquals("", Files.readString(dir.resolve("none.jsonl"), StandardCharsets.UTF_8));
        CliRun parquet = cli("export", none, "--to", dir.resolve("none.parquet").toString());
        assertEquals(0, parquet.exit(), parquet.err());
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
                Statement statement = duck.createStatement();
                ResultSet rows = statement.executeQuery("SELECT count(*) FROM read_parquet('" + dir.resolve("none.parquet") + "')")) {
            rows.next();
            assertEquals(0, rows.getLong(1));
        }
    }

    @Test
    void aFailedQueryGivesTheServersMessageAndLeavesNoFile(@TempDir Path dir) throws Exception {
        for (String name : List.of("bad.csv", "bad.jsonl", "bad.parquet")) {
            CliRun refused = cli("export", "SELECT no_such_column FROM (VALUES (1)) t(x)", "--to", dir.resolve(name).toString());
            assertEquals(2, refused.exit(), refused.out());
            assertTrue(refused.err().startsWith("error: INVALID_ARGUMENT: ") && refused.err().contains("no_such_column"), refused.err());

            // Fails after the first batches, while the file is being written.
            CliRun midway = cli("export", "SELECT CAST(CASE WHEN i = 150000 THEN 'boom' ELSE i::VARCHAR END AS INTEGER) AS n, "
                    + "repeat('x', 100) AS pad FROM (SELECT unnest(generate_series(1, 200000)) AS i)", "--to", dir.resolve(name).toString());
            assertEquals(2, midway.exit(), midway.out());
            assertTrue(midway.err().contains("error: ") && midway.err().contains("boom"), midway.err());
            try (Stream<Path> left = Files.list(dir)) {
                assertEquals(List.of(), left.toList(), "nothing left behind, not even the temporary file");
            }
        }
    }

    @Test
    void anExistingFileIsReplacedOnlyWithOverwrite(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("kept.csv"), "precious\n", StandardCharsets.UTF_8);
        CliRun refused = cli("export", "SELECT 1 AS a", "--to", file.toString());
        assertEquals(2, refused.exit());
        assertTrue(refused.err().contains("kept.csv exists; --overwrite replaces it"), refused.err());
        assertEquals("precious\n", Files.readString(file, StandardCharsets.UTF_8));

        CliRun replaced = cli("export", "SELECT 1 AS a", "--to", file.toString(), "--overwrite");
        assertEquals(0, replaced.exit(), replaced.err());
        assertEquals("a\n1\n", Files.readString(file, StandardCharsets.UTF_8));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    /**
     * Two million rows (over 200 MB of CSV) through a CLI process with a 64 MB heap: its peak resident memory, heap and
     * native (Arrow, DuckDB) alike, stays within a bound of that of a quarter of the rows. Held rows would not fit.
     */
    @Test
    void aLargeExportRunsInBoundedMemory(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "peak memory is read from /proc");
        for (String format : List.of("csv", "parquet")) {
            Child quarter = export(dir, format, 500_000);
            Child full = export(dir, format, 2_000_000);
            assertTrue(full.out().lines().anyMatch(line -> line.startsWith("exported 2000000 rows to ")), full.out() + full.err());
            assertEquals(2_000_000, count(full.file(), format));
            System.out.printf("export to %s: 500k rows peak %d MB, 2M rows peak %d MB, file %d MB%n", format,
                    quarter.peakRss() >> 20, full.peakRss() >> 20, Files.size(full.file()) >> 20);
            assertTrue(full.peakRss() < quarter.peakRss() + (64L << 20), "peak memory grew with the rows: " + quarter.peakRss()
                    + " bytes for 500k rows, " + full.peakRss() + " for 2M");
            Files.delete(quarter.file());
            Files.delete(full.file());
        }
    }

    private record Child(Path file, String out, String err, long peakRss) {}

    /** The CLI as its own process, with the flag {@code bin/lakeshard} passes and a 64 MB heap. */
    private static Child export(Path dir, String format, int rows) throws Exception {
        Path file = dir.resolve(rows + "." + format);
        Path out = dir.resolve(rows + "." + format + ".out");
        Path err = dir.resolve(rows + "." + format + ".err");
        String sql = "SELECT i, 'row-' || i AS name, i / 7 AS ratio, TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_microseconds(i) AS at, "
                + "repeat('x', 60) AS pad FROM (SELECT unnest(generate_series(1, " + rows + ")) AS i)";
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Xmx64m", "-XX:+UseSerialGC",
                // The test classpath has logback (the CLI jar has slf4j-nop): quiet its own start-up report.
                "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener",
                "-cp", System.getProperty("java.class.path"), "io.lakeshard.client.cli.LakeshardCli",
                "export", "--server=" + address, "--key=" + KEY, sql, "--to", file.toString())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        long peak = 0;
        Path status = Path.of("/proc", String.valueOf(process.pid()), "status");
        while (!process.waitFor(50, TimeUnit.MILLISECONDS)) {
            peak = Math.max(peak, highWaterMark(status));
        }
        String printed = Files.readString(out, StandardCharsets.UTF_8);
        String errors = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), printed + errors);
        assertTrue(peak > 0, "no peak memory read");
        return new Child(file, printed, errors, peak);
    }

    /** VmHWM, the process's peak resident set so far; 0 once it is gone. */
    private static long highWaterMark(Path status) {
        try {
            for (String line : Files.readAllLines(status, StandardCharsets.UTF_8)) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) << 10;
                }
            }
        } catch (IOException e) {
            // Exited between the check and the read.
        }
        return 0;
    }

    private static long count(Path file, String format) throws SQLException {
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
                Statement statement = duck.createStatement();
                ResultSet rows = statement.executeQuery("SELECT count(*) FROM read_" + format + "('" + file + "')")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** The query's result as the SDK receives it, in DuckDB as table {@code expected}. */
    private static void loadExpected(Connection duck) throws Exception {
        try (LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY);
                QueryResults results = client.query(QueryRequest.newBuilder().setSql(EVERY_TYPE)
                        .setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES).build());
                ArrowArrayStream stream = ArrowArrayStream.allocateNew(client.allocator());
                Statement statement = duck.createStatement()) {
            Data.exportArrayStream(client.allocator(), results.reader(), stream);
            duck.unwrap(DuckDBConnection.class).registerArrowStream("expected_rows", stream);
            statement.execute("CREATE TABLE expected AS SELECT * FROM expected_rows");
        }
    }

    private static Map<String, String> columnTypes(Statement statement) throws SQLException {
        return columnTypes(statement, "expected");
    }

    private static Map<String, String> columnTypes(Statement statement, String table) throws SQLException {
        Map<String, String> types = new LinkedHashMap<>();
        try (ResultSet columns = statement.executeQuery("DESCRIBE " + table)) {
            while (columns.next()) {
                types.put(columns.getString("column_name"), columns.getString("column_type"));
            }
        }
        return types;
    }

    private enum ArrowText { CSV, JSON }

    /** Each exported column back in the result's type: the text parsed, base64 decoded, JSON cast. */
    private static String typed(Map<String, String> types, ArrowText source) {
        List<String> columns = new ArrayList<>();
        types.forEach((name, type) -> {
            boolean nested = type.endsWith("]") || type.startsWith("STRUCT") || type.startsWith("MAP");
            String value = source == ArrowText.CSV ? name : "json->>'" + name + "'";
            String json = source == ArrowText.CSV ? "CAST(" + name + " AS JSON)" : "json->'" + name + "'";
            String expression = type.equals("INTERVAL") ? "NULL"
                    : type.equals("BLOB") ? "from_base64(" + value + ")"
                    : nested ? "CAST(" + json + " AS " + type + ")"
                    : "CAST(" + value + " AS " + type + ")";
            columns.add(expression + " AS " + name);
        });
        return String.join(", ", columns);
    }

    /** ISO-8601 durations, which DuckDB does not read, are checked as text above. */
    private static List<String> withoutInterval(Map<String, String> types) {
        return types.entrySet().stream().filter(e -> !e.getValue().equals("INTERVAL")).map(Map.Entry::getKey).toList();
    }

    /** Every cell of {@code table} that differs from the query's result, as "column, row id: expected / actual". */
    private static List<String> differences(Statement statement, String table, Iterable<String> columns) throws SQLException {
        List<String> differences = new ArrayList<>();
        try (ResultSet count = statement.executeQuery("SELECT count(*) FROM " + table)) {
            count.next();
            if (count.getLong(1) != 3) {
                differences.add(table + " has " + count.getLong(1) + " rows");
            }
        }
        for (String column : columns) {
            try (ResultSet rows = statement.executeQuery("SELECT e.id, CAST(e." + column + " AS VARCHAR), CAST(a." + column
                    + " AS VARCHAR) FROM expected e JOIN " + table + " a ON e.id = a.id WHERE e." + column + " IS DISTINCT FROM a." + column)) {
                while (rows.next()) {
                    differences.add(column + ", row " + rows.getInt(1) + ": " + rows.getString(2) + " / " + rows.getString(3));
                }
            }
        }
        return differences;
    }

    private static CliRun cli(String... args) {
        return CliRun.run(address, KEY, 1, args);
    }
}
