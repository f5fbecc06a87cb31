package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.QueryResults;
import io.lakeshard.storage.TestTables;
import java.util.Map;

/** What a table of spans holds, for tests that count each row once: its rows and its distinct span ids. */
record StoredSpans(long rows, long distinctIds) {
    static StoredSpans of(LakeshardClient client, String table) {
        try (QueryResults results = client.query("SELECT count(*) AS n, count(DISTINCT span_id) AS d FROM " + table)) {
            assertTrue(results.next());
            Map<String, Object> row = TestTables.rows(results.batch(), false).get(0);
            assertFalse(results.next());
            return new StoredSpans((Long) row.get("n"), (Long) row.get("d"));
        }
    }
}
