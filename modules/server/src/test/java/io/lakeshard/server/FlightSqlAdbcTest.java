package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.client.LakeshardClient;
import io.lakeshard.service.auth.ApiKeys;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.adbc.core.AdbcConnection;
import org.apache.arrow.adbc.core.AdbcDatabase;
import org.apache.arrow.adbc.core.AdbcDriver;
import org.apache.arrow.adbc.core.AdbcException;
import org.apache.arrow.adbc.core.AdbcStatement;
import org.apache.arrow.adbc.core.BulkIngestMode;
import org.apache.arrow.adbc.driver.flightsql.FlightSqlDriver;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ADBC's Java Flight SQL driver: queries, and bulk ingest (a prepared INSERT with the rows as parameters). */
class FlightSqlAdbcTest {
    private static final String KEY = "acme-adbc-key";

    @Test
    void queriesThroughAdbc(@TempDir Path dir) throws Exception {
        try (LakeshardServer server = TestServers.start(dir, """
                lakeshard.server.api-keys = [{ tenant = "acme", sha256 = "%s" }]
                """.formatted(ApiKeys.sha256(KEY)));
                BufferAllocator allocator = new RootAllocator()) {
            try (LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY);
                    VectorSchemaRoot rows = FlightSqlJdbcTest.numbers(client.allocator(), 0, 1_000)) {
                client.register("lake.sales.big", FlightSqlJdbcTest.NUMBERS, List.of());
                client.write("lake.sales.big", rows, "fixture", 1);
            }
            Map<String, Object> parameters = new HashMap<>();
            AdbcDriver.PARAM_URI.set(parameters, "grpc+tcp://127.0.0.1:" + server.flightPort().getAsInt());
            AdbcDriver.PARAM_USERNAME.set(parameters, "anyone");
            AdbcDriver.PARAM_PASSWORD.set(parameters, KEY);
            // Its bulk ingest's DoPut carries no credentials of its own: the session cookie does.
            parameters.put("adbc.flight.sql.rpc.with_cookie_middleware", true);
            try (AdbcDatabase database = new FlightSqlDriver(allocator).open(parameters);
                    AdbcConnection connection = database.connect()) {
                try (AdbcStatement statement = connection.createStatement()) {
                    statement.setSqlQuery("SELECT id FROM lake.sales.big WHERE id >= 990 ORDER BY id");
                    long sum = 0;
                    int count = 0;
                    try (AdbcStatement.QueryResult result = statement.executeQuery(); ArrowReader reader = result.getReader()) {
                        while (reader.loadNextBatch()) {
                            BigIntVector id = (BigIntVector) reader.getVectorSchemaRoot().getVector("id");
                            for (int i = 0; i < reader.getVectorSchemaRoot().getRowCount(); i++) {
                                sum += id.get(i);
                                count++;
                            }
                        }
                    }
                    assertEquals(10, count);
                    assertEquals(9945, sum);
                }
                // ADBC's bulk ingest: a prepared INSERT INTO ... VALUES (?, ...) with the rows as its parameters.
                try (AdbcStatement ingest = connection.bulkIngest("lake.sales.big", BulkIngestMode.APPEND);
                        VectorSchemaRoot rows = FlightSqlJdbcTest.numbers(allocator, 5_000, 10)) {
                    ingest.bind(rows);
                    assertEquals(10, ingest.executeUpdate().getAffectedRows(), "acknowledged with the rows committed");
                }
                try (AdbcStatement statement = connection.createStatement()) {
                    statement.setSqlQuery("SELECT count(*) AS n, sum(id) AS total FROM lake.sales.big WHERE id >= 5000");
                    try (AdbcStatement.QueryResult result = statement.executeQuery(); ArrowReader reader = result.getReader()) {
                        assertTrue(reader.loadNextBatch());
                        assertEquals(10L, ((Number) reader.getVectorSchemaRoot().getVector("n").getObject(0)).longValue());
                        assertEquals(50_045L, ((Number) reader.getVectorSchemaRoot().getVector("total").getObject(0)).longValue());
                    }
                }
                try (AdbcStatement ingest = connection.bulkIngest("lake.sales.missing", BulkIngestMode.APPEND);
                        VectorSchemaRoot rows = FlightSqlJdbcTest.numbers(allocator, 0, 1)) {
                    ingest.bind(rows);
                    assertThrows(AdbcException.class, ingest::executeUpdate, "into an existing dataset only");
                }
            }
        }
    }
}
