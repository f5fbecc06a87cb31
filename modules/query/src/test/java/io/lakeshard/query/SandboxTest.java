package io.lakeshard.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.query.engine.EngineSettings;
import io.lakeshard.query.engine.QueryEngine;
import io.lakeshard.query.engine.QueryResult;
import io.lakeshard.storage.AllTypes;
import io.lakeshard.storage.TestTables;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Every way out of the sandbox we know of, refused with a message that says what is not allowed. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SandboxTest {
    private BufferAllocator allocator;
    private QueryEngine engine;
    private String otherTenantFile;
    private Datasets datasets;

    @BeforeAll
    void setUp(@TempDir Path dir) throws Exception {
        allocator = new RootAllocator();
        datasets = new Datasets(dir.resolve("storage"));
        engine = new QueryEngine(EngineSettings.defaults(dir.resolve("work"), List.of(dir.resolve("storage"))), datasets, allocator);
        DeltaTable mine = datasets.create("acme", "main.test.spans", DatasetDefinition.of(AllTypes.SCHEMA, List.of()));
        DeltaTable theirs = datasets.create("globex", "main.test.secrets", DatasetDefinition.of(AllTypes.SCHEMA, List.of()));
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, 0, 10)) {
            TestTables.commit(mine, TestTables.write(mine, allocator, batch), new IdempotencyKey("w", 1));
            TestTables.commit(theirs, TestTables.write(theirs, allocator, batch), new IdempotencyKey("w", 1));
        }
        otherTenantFile = Path.of(theirs.snapshot().files().iterator().next().uri(theirs.root())).toString();
    }

    @AfterAll
    void tearDown() throws Exception {
        engine.close();
        allocator.close();
    }

    private RuntimeException refused(String sql) {
        return assertThrows(RuntimeException.class, () -> {
            try (QueryResult result = engine.execute(QueryRequest.of("s-" + System.nanoTime(), "acme", sql))) {
                while (result.next()) {
                    // drain
                }
            }
        }, sql);
    }

    private void assertRejected(String sql, String messagePart) {
        RuntimeException e = refused(sql);
        assertTrue(e instanceof QueryRejectedException, sql + " -> " + e);
        assertTrue(e.getMessage().contains(messagePart), sql + " -> " + e.getMessage());
    }

    @Test
    void readingTheFilesystemIsRefused() {
        assertRejected("SELECT * FROM read_text('/etc/passwd')", "table functions are not allowed: read_text");
        assertRejected("SELECT * FROM read_csv('/etc/passwd')", "table functions are not allowed");
        assertRejected("SELECT * FROM glob('/etc/*')", "table functions are not allowed");
        RuntimeException byPath = refused("SELECT * FROM '/etc/passwd'");
        assertTrue(byPath instanceof UnknownTableException, byPath.toString());
        assertRejected("SELECT getenv('HOME')", "function not allowed: getenv");
        assertRejected("SELECT current_setting('allowed_directories')", "function not allowed");
    }

    @Test
    void anotherTenantsTableIsUnreachableByNameAndByPath() {
        RuntimeException byName = refused("SELECT * FROM main.test.secrets");
        assertTrue(byName instanceof UnknownTableException);
        assertEquals("table 'main.test.secrets' does not exist", byName.getMessage());
        assertRejected("SELECT * FROM read_parquet('" + otherTenantFile + "')", "table functions are not allowed: read_parquet");
        RuntimeException quotedPath = refused("SELECT * FROM '" + otherTenantFile + "'");
        assertTrue(quotedPath instanceof UnknownTableException, quotedPath.toString());
        assertFalse(quotedPath.getMessage().contains("globex"), "the error does not confirm the other tenant: " + quotedPath.getMessage());
        RuntimeException subquery = refused("SELECT id FROM main.test.spans WHERE id IN (SELECT id FROM main.test.secrets)");
        assertTrue(subquery instanceof UnknownTableException);
    }

    /**
     * The engine keeps statements it analysed, by their text: the same text from another tenant still names only that
     * tenant's datasets, and is refused where that tenant has no such dataset, before or after it was kept.
     */
    @Test
    void aStatementAnalysedForOneTenantNamesOnlyAnotherTenantsOwnDatasets() throws Exception {
        String secrets = "SELECT count(*) FROM main.test.secrets";
        assertTrue(refused(secrets) instanceof UnknownTableException);
        assertEquals(10L, count("globex", secrets));
        RuntimeException afterwards = refused(secrets);
        assertTrue(afterwards instanceof UnknownTableException, afterwards.toString());
        assertEquals("table 'main.test.secrets' does not exist", afterwards.getMessage());
        // Analysed for globex (and kept), then refused in planning; for acme it must not get as far.
        String fractional = "SELECT count(*) FROM main.test.secrets AT (VERSION => 1.5)";
        RuntimeException theirs = assertThrows(RuntimeException.class, () -> count("globex", fractional));
        assertTrue(theirs instanceof QueryRejectedException, theirs.toString());
        RuntimeException mine = refused(fractional);
        assertTrue(mine instanceof UnknownTableException, mine.toString());

        DeltaTable theirSpans = datasets.create("globex", "main.test.spans", DatasetDefinition.of(AllTypes.SCHEMA, List.of()));
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, 0, 3)) {
            TestTables.commit(theirSpans, TestTables.write(theirSpans, allocator, batch), new IdempotencyKey("w", 1));
        }
        String spans = "SELECT count(*) FROM main.test.spans WHERE id >= 0";
        for (int round = 0; round < 2; round++) {
            assertEquals(10L, count("acme", spans));
            assertEquals(3L, count("globex", spans));
        }
    }

    private long count(String tenant, String sql) {
        try (QueryResult result = engine.execute(QueryRequest.of("c-" + System.nanoTime(), tenant, sql))) {
            assertTrue(result.next(), sql);
            return ((BigIntVector) result.batch().getVector(0)).get(0);
        }
    }

    @Test
    void onlyReadStatementsAreAllowed() {
        String onlyReads = "only read statements are allowed";
        assertRejected("COPY (SELECT * FROM main.test.spans) TO '/tmp/out.csv'", onlyReads);
        assertRejected("ATTACH '/tmp/x.db' AS x", onlyReads);
        assertRejected("INSTALL httpfs", onlyReads);
        assertRejected("LOAD httpfs", onlyReads);
        assertRejected("SET memory_limit = '100GB'", onlyReads);
        assertRejected("PRAGMA database_list", onlyReads);
        assertRejected("CREATE TABLE t AS SELECT 1", onlyReads);
        assertRejected("CALL duckdb_settings()", onlyReads);
        assertRejected("DELETE FROM main.test.spans", onlyReads);
        assertRejected("SELECT 1; SELECT 2", "exactly one statement");
        assertTrue(refused("SELEC 1") instanceof InvalidInputException, "a syntax error is bad input");
    }

    @Test
    void internalTablesAreNotNames() {
        assertTrue(refused("SELECT * FROM information_schema.tables") instanceof UnknownTableException);
        assertTrue(refused("SELECT * FROM duckdb_tables") instanceof UnknownTableException);
        assertTrue(refused("SELECT * FROM ls_t0") instanceof UnknownTableException);
    }

    @Test
    void allowedReadsStillWork() throws Exception {
        try (QueryResult result = engine.execute(QueryRequest.of("ok1", "acme",
                "WITH w AS (SELECT id FROM main.test.spans WHERE id < 5) SELECT count(*) AS n FROM w"))) {
            assertTrue(result.next());
            assertEquals(5L, TestTables.rows(result.batch(), false).get(0).get("n"));
        }
        try (QueryResult result = engine.execute(QueryRequest.of("ok2", "acme", "VALUES (1), (2)"))) {
            assertTrue(result.next());
            assertEquals(2, result.batch().getRowCount());
        }
    }
}
