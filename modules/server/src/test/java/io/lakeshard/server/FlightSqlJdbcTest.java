package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.LakeshardException;
import io.lakeshard.client.QueryResults;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.storage.AllTypes;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.CallOption;
import org.apache.arrow.flight.CancelFlightInfoRequest;
import org.apache.arrow.flight.CancelFlightInfoResult;
import org.apache.arrow.flight.CancelStatus;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.flight.grpc.CredentialCallOption;
import org.apache.arrow.flight.auth2.BearerCredentialWriter;
import org.apache.arrow.flight.sql.FlightSqlClient;
import org.apache.arrow.flight.sql.FlightSqlClient.ExecuteIngestOptions;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementIngest.TableDefinitionOptions;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementIngest.TableDefinitionOptions.TableNotExistOption;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Arrow Flight SQL as its clients use it: the Arrow Flight SQL JDBC driver through plain {@code java.sql}, and
 * {@code FlightSqlClient}. One node, two tenants.
 */
class FlightSqlJdbcTest {
    private static final String ACME_KEY = "acme-flight-key";
    private static final String GLOBEX_KEY = "globex-flight-key";
    private static final String TYPES = "lake.sales.types";
    private static final String BIG = "lake.sales.big";
    private static final String GLOBEX_TABLE = "other.hr.staff";
    private static final int BIG_ROWS = 1_000_000;
    static final Schema NUMBERS = new Schema(List.of(
            new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
            new Field("v", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null)));

    @TempDir
    static Path dir;
    static LakeshardServer server;
    static LakeshardClient acme;
    static BufferAllocator allocator;

    @BeforeAll
    static void start() throws Exception {
        server = TestServers.start(dir, """
                lakeshard.server.api-keys = [
                  { tenant = "acme", sha256 = "%s" },
                  { tenant = "globex", sha256 = "%s" }
                ]
                """.formatted(ApiKeys.sha256(ACME_KEY), ApiKeys.sha256(GLOBEX_KEY)));
        allocator = new RootAllocator();
        acme = LakeshardClient.connect("127.0.0.1", server.port(), ACME_KEY);
        acme.register(TYPES, AllTypes.SCHEMA, List.of());
        try (VectorSchemaRoot rows = AllTypes.batch(acme.allocator(), 0, 100)) {
            acme.write(TYPES, rows, "fixture", 1);
        }
        acme.register(BIG, NUMBERS, List.of());
        try (VectorSchemaRoot rows = numbers(acme.allocator(), 0, BIG_ROWS)) {
            acme.write(BIG, rows, "fixture", 1);
        }
        try (LakeshardClient globex = LakeshardClient.connect("127.0.0.1", server.port(), GLOBEX_KEY)) {
            globex.register(GLOBEX_TABLE, NUMBERS, List.of());
            try (VectorSchemaRoot rows = numbers(globex.allocator(), 0, 10)) {
                globex.write(GLOBEX_TABLE, rows, "fixture", 1);
            }
        }
    }

    @AfterAll
    static void stop() throws Exception {
        acme.close();
        server.close();
        allocator.close();
    }

    private static String url() {
        return "jdbc:arrow-flight-sql://127.0.0.1:" + server.flightPort().getAsInt() + "?useEncryption=false";
    }

    private static Connection connect(String key) throws SQLException {
        return DriverManager.getConnection(url() + "&user=anyone&password=" + key);
    }

    @Test
    void metadataListsExactlyTheTenantsTables() throws Exception {
        try (Connection acmeJdbc = connect(ACME_KEY); Connection globexJdbc = connect(GLOBEX_KEY)) {
            assertEquals(List.of("lake.sales.big", "lake.sales.types"), tables(acmeJdbc.getMetaData()));
            assertEquals(List.of("other.hr.staff"), tables(globexJdbc.getMetaData()));

            List<String> columns = new ArrayList<>();
            try (ResultSet rs = acmeJdbc.getMetaData().getColumns(null, null, "types", null)) {
                while (rs.next()) {
                    columns.add(rs.getString("COLUMN_NAME"));
                }
            }
            List<String> declared = AllTypes.SCHEMA.getFields().stream().map(Field::getName).toList();
            assertEquals(declared, columns.subList(0, declared.size()));
            assertTrue(columns.subList(declared.size(), columns.size()).stream().allMatch(name -> name.startsWith("_ls_")),
                    "after the declared columns only Lakeshard's system columns: " + columns);
            try (ResultSet rs = globexJdbc.getMetaData().getColumns(null, null, "types", null)) {
                assertFalse(rs.next(), "globex sees no column of acme's table");
            }
            try (ResultSet rs = acmeJdbc.getMetaData().getCatalogs()) {
                assertTrue(rs.next());
                assertEquals("lake", rs.getString(1));
                assertFalse(rs.next());
            }
        }
    }

    @Test
    void statementsAndPreparedStatementsWithParameters() throws Exception {
        try (Connection jdbc = connect(ACME_KEY)) {
            try (Statement statement = jdbc.createStatement();
                    ResultSet rs = statement.executeQuery("SELECT count(*) AS n, sum(id) AS s FROM lake.sales.types")) {
                assertTrue(rs.next());
                assertEquals(100, rs.getLong("n"));
                assertEquals(4950, rs.getLong("s"));
            }
            try (PreparedStatement statement = jdbc.prepareStatement(
                    "SELECT id, region FROM lake.sales.types WHERE id >= ? AND id < ? AND coalesce(region, '') <> ? ORDER BY id")) {
                statement.setLong(1, 10);
                statement.setInt(2, 13);
                statement.setString(3, "it's ' -- not a region");
                List<Long> ids = new ArrayList<>();
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getLong(1));
                    }
                }
                assertEquals(List.of(10L, 11L, 12L), ids);
                statement.setLong(1, 50);
                statement.setInt(2, 52);
                List<Long> again = new ArrayList<>();
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        again.add(rs.getLong(1));
                    }
                }
                assertEquals(List.of(50L, 51L), again, "parameters bound again run again");
            }
        }
    }

    @Test
    void aTokenConnectsAndAWrongPasswordIsUnauthenticated() throws Exception {
        try (Connection jdbc = DriverManager.getConnection(url() + "&token=" + ACME_KEY);
                Statement statement = jdbc.createStatement();
                ResultSet rs = statement.executeQuery("SELECT 42 AS answer")) {
            assertTrue(rs.next());
            assertEquals(42, rs.getInt(1));
        }
        SQLException wrong = assertThrows(SQLException.class, () -> connect("not-a-key").createStatement().executeQuery("SELECT 1"));
        assertTrue(chain(wrong).contains("UNAUTHENTICATED"), chain(wrong));
    }

    @Test
    void aMillionRowsReadCompletely() throws Exception {
        try (Connection jdbc = connect(ACME_KEY);
                Statement statement = jdbc.createStatement();
                ResultSet rs = statement.executeQuery("SELECT id, v FROM lake.sales.big")) {
            long rows = 0;
            long idSum = 0;
            double vSum = 0;
            while (rs.next()) {
                rows++;
                idSum += rs.getLong(1);
                vSum += rs.getDouble(2);
            }
            assertEquals(BIG_ROWS, rows);
            assertEquals((long) BIG_ROWS * (BIG_ROWS - 1) / 2, idSum);
            assertEquals((double) BIG_ROWS * (BIG_ROWS - 1) / 2 / 4, vSum, 1e-3 * BIG_ROWS);
        }
    }

    @Test
    void everyTypeComesBackAsTheQueryServiceReturnsIt() throws Exception {
        String sql = "SELECT * FROM lake.sales.types ORDER BY id";
        String viaGrpc;
        try (QueryResults results = acme.query(sql)) {
            StringBuilder text = new StringBuilder();
            while (results.next()) {
                text.append(render(results.batch()));
            }
            viaGrpc = text.toString();
        }
        try (FlightClient client = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", server.flightPort().getAsInt())).build();
                FlightSqlClient sql2 = new FlightSqlClient(client)) {
            CallOption auth = bearer(ACME_KEY);
            FlightInfo info = sql2.execute(sql, auth);
            StringBuilder text = new StringBuilder();
            try (FlightStream stream = sql2.getStream(info.getEndpoints().get(0).getTicket(), auth)) {
                assertEquals(info.getSchemaOptional().orElseThrow(), stream.getSchema(), "the schema announced is the one streamed");
                while (stream.next()) {
                    text.append(render(stream.getRoot()));
                }
            }
            assertEquals(viaGrpc, text.toString());
        }
        try (Connection jdbc = connect(ACME_KEY);
                Statement statement = jdbc.createStatement();
                ResultSet rs = statement.executeQuery(sql)) {
            assertEquals(AllTypes.SCHEMA.getFields().size(), rs.getMetaData().getColumnCount());
            Set<String> unsupported = new TreeSet<>();
            int rows = 0;
            while (rs.next()) {
                for (int column = 1; column <= rs.getMetaData().getColumnCount(); column++) {
                    String name = rs.getMetaData().getColumnName(column);
                    Object value;
                    try {
                        value = rs.getObject(column);
                    } catch (RuntimeException e) {
                        // The driver (Avatica) implements getObject for some Arrow types only; text for all.
                        unsupported.add(name);
                        value = rs.getString(column);
                    }
                    if (name.equals("id")) {
                        assertTrue(value != null, name + " of row " + rows);
                    }
                }
                assertEquals(rows, rs.getLong("id"));
                rows++;
            }
            assertEquals(100, rows);
            assertFalse(unsupported.contains("id") || unsupported.contains("region") || unsupported.contains("f64"), unsupported.toString());
        }
    }

    @Test
    void theSandboxRefusesThroughJdbcAsThroughTheApi() throws Exception {
        List<String> refused = List.of(
                "SELECT * FROM read_text('/etc/passwd')",
                "SELECT * FROM read_csv('/etc/passwd')",
                "SELECT * FROM glob('/etc/*')",
                "SELECT * FROM '/etc/passwd'",
                "SELECT getenv('HOME')",
                "COPY (SELECT * FROM lake.sales.types) TO '/tmp/out.csv'",
                "ATTACH '/tmp/x.db' AS x",
                "INSTALL httpfs",
                "SET memory_limit = '100GB'",
                "CREATE TABLE t AS SELECT 1",
                "SELECT 1; SELECT 2",
                "SELECT * FROM information_schema.tables",
                "SELECT * FROM other.hr.staff");
        try (Connection jdbc = connect(ACME_KEY)) {
            for (String sql : refused) {
                LakeshardException api = assertThrows(LakeshardException.class, () -> {
                    try (QueryResults results = acme.query(sql)) {
                        while (results.next()) {
                            // refused before a row
                        }
                    }
                }, sql);
                SQLException flight = assertThrows(SQLException.class, () -> {
                    try (Statement statement = jdbc.createStatement(); ResultSet rs = statement.executeQuery(sql)) {
                        rs.next();
                    }
                }, sql);
                assertTrue(chain(flight).contains(api.getMessage().replaceFirst("^[A-Z_]+: ", "")), sql + ": " + chain(flight)
                        + " vs " + api.getMessage());
                assertTrue(chain(flight).contains(api.code().name()), sql + ": " + chain(flight));
            }
        }
    }

    @Test
    void bulkIngestAppendsOncePerRequestId() throws Exception {
        try (FlightClient client = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", server.flightPort().getAsInt())).build();
                FlightSqlClient sql = new FlightSqlClient(client);
                LakeshardClient globex = LakeshardClient.connect("127.0.0.1", server.port(), GLOBEX_KEY);
                VectorSchemaRoot rows = numbers(allocator, 100, 250)) {
            CallOption auth = bearer(GLOBEX_KEY);
            ExecuteIngestOptions options = new ExecuteIngestOptions(GLOBEX_TABLE, TableDefinitionOptions.getDefaultInstance(),
                    null, null, Map.of("request_id", "load-1"));
            assertEquals(250, sql.executeIngest(rows, options, auth));
            assertEquals(250, sql.executeIngest(rows, options, auth), "a retry is answered with the rows committed");
            assertEquals(260, count(globex, "SELECT count(*) FROM other.hr.staff"), "the retry was applied once");

            FlightRuntimeException missing = assertThrows(FlightRuntimeException.class, () -> sql.executeIngest(rows,
                    new ExecuteIngestOptions("other.hr.nothing", TableDefinitionOptions.getDefaultInstance(), null, null, Map.of()), auth));
            assertEquals(FlightStatusCode.NOT_FOUND, missing.status().code(), missing.getMessage());
            FlightRuntimeException create = assertThrows(FlightRuntimeException.class, () -> sql.executeIngest(rows,
                    new ExecuteIngestOptions("other.hr.fresh", TableDefinitionOptions.newBuilder()
                            .setIfNotExist(TableNotExistOption.TABLE_NOT_EXIST_OPTION_CREATE).build(), null, null, Map.of()), auth));
            assertEquals(FlightStatusCode.INVALID_ARGUMENT, create.status().code());
            assertTrue(create.getMessage().contains("CreateDataset"), create.getMessage());
            FlightRuntimeException otherTenant = assertThrows(FlightRuntimeException.class, () -> sql.executeIngest(rows,
                    new ExecuteIngestOptions(BIG, TableDefinitionOptions.getDefaultInstance(), null, null, Map.of()), auth));
            assertEquals(FlightStatusCode.NOT_FOUND, otherTenant.status().code(), "acme's table does not exist for globex");
        }
    }

    @Test
    void aTamperedOrForeignTicketIsRefused() throws Exception {
        try (FlightClient client = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", server.flightPort().getAsInt())).build();
                FlightSqlClient sql = new FlightSqlClient(client)) {
            FlightInfo info = sql.execute("SELECT id FROM lake.sales.types", bearer(ACME_KEY));
            byte[] ticket = info.getEndpoints().get(0).getTicket().getBytes();
            byte[] tampered = ticket.clone();
            tampered[tampered.length / 2] ^= 1;
            FlightRuntimeException changed = assertThrows(FlightRuntimeException.class, () -> drain(sql.getStream(new Ticket(tampered), bearer(ACME_KEY))));
            assertEquals(FlightStatusCode.INVALID_ARGUMENT, changed.status().code(), changed.getMessage());
            FlightRuntimeException foreign = assertThrows(FlightRuntimeException.class, () -> drain(sql.getStream(new Ticket(ticket), bearer(GLOBEX_KEY))));
            assertEquals(FlightStatusCode.UNAUTHENTICATED, foreign.status().code(), foreign.getMessage());
            assertEquals(100, drain(sql.getStream(new Ticket(ticket), bearer(ACME_KEY))), "the ticket itself is good");
            assertArrayEquals(ticket, info.getEndpoints().get(0).getTicket().getBytes());
        }
    }

    @Test
    void cancelFlightInfoStopsTheRunningQuery() throws Exception {
        // A hash per row of a cross join of 10^12 rows: hours, unless cancelled (10^10 ran to its end in a minute).
        String slow = "SELECT count(*) FROM lake.sales.big a, lake.sales.types b, lake.sales.types c, lake.sales.types d "
                + "WHERE hash(a.id, b.id, c.id, d.id) = 42";
        try (FlightClient client = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", server.flightPort().getAsInt())).build();
                FlightSqlClient sql = new FlightSqlClient(client)) {
            CallOption auth = bearer(ACME_KEY);
            FlightInfo info = sql.execute(slow, auth);
            CompletableFuture<Throwable> reading = CompletableFuture.supplyAsync(() -> {
                try {
                    drain(sql.getStream(info.getEndpoints().get(0).getTicket(), auth));
                    return null;
                } catch (Exception e) {
                    return e;
                }
            });
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (acme.runningQueries().stream().noneMatch(query -> query.getLabel().startsWith("flight:"))) {
                assertTrue(System.nanoTime() < deadline, "the Flight query never ran");
                Thread.onSpinWait();
            }
            CancelFlightInfoResult cancelled = sql.cancelFlightInfo(new CancelFlightInfoRequest(info), auth);
            assertEquals(CancelStatus.CANCELLED, cancelled.getStatus());
            Throwable stopped = reading.get(60, TimeUnit.SECONDS);
            assertTrue(stopped instanceof FlightRuntimeException, String.valueOf(stopped));
            assertEquals(FlightStatusCode.TIMED_OUT, ((FlightRuntimeException) stopped).status().code(), stopped.getMessage());
        }
    }

    static CallOption bearer(String key) {
        return new CredentialCallOption(new BearerCredentialWriter(key));
    }

    static long drain(FlightStream stream) throws Exception {
        try (stream) {
            long rows = 0;
            while (stream.next()) {
                rows += stream.getRoot().getRowCount();
            }
            return rows;
        }
    }

    private static long count(LakeshardClient client, String sql) {
        try (QueryResults results = client.query(sql)) {
            assertTrue(results.next());
            return ((Number) results.batch().getVector(0).getObject(0)).longValue();
        }
    }

    private static List<String> tables(DatabaseMetaData metadata) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (ResultSet rs = metadata.getTables(null, null, "%", null)) {
            while (rs.next()) {
                tables.add(rs.getString("TABLE_CAT") + "." + rs.getString("TABLE_SCHEM") + "." + rs.getString("TABLE_NAME"));
            }
        }
        return tables;
    }

    /** Every value of every row, binary as hex (Arrow's own text shows byte arrays by identity). */
    private static String render(VectorSchemaRoot root) {
        StringBuilder text = new StringBuilder(root.getSchema().toString()).append('\n');
        for (int row = 0; row < root.getRowCount(); row++) {
            for (FieldVector vector : root.getFieldVectors()) {
                Object value = vector.getObject(row);
                text.append(value instanceof byte[] bytes ? HexFormat.of().formatHex(bytes) : String.valueOf(value)).append('\t');
            }
            text.append('\n');
        }
        return text.toString();
    }

    private static String chain(Throwable error) {
        StringBuilder text = new StringBuilder();
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            text.append(cause).append(" | ");
        }
        return text.toString();
    }

    static VectorSchemaRoot numbers(BufferAllocator allocator, long first, int count) {
        VectorSchemaRoot root = VectorSchemaRoot.create(NUMBERS, allocator);
        BigIntVector id = (BigIntVector) root.getVector("id");
        Float8Vector v = (Float8Vector) root.getVector("v");
        id.allocateNew(count);
        v.allocateNew(count);
        for (int i = 0; i < count; i++) {
            id.set(i, first + i);
            v.set(i, (first + i) / 4.0);
        }
        root.setRowCount(count);
        return root;
    }
}
