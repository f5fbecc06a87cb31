package io.lakeshard.query;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.DatasetName;
import java.time.Duration;
import java.util.Map;

/**
 * One query of one tenant.
 *
 * @param defaultCatalog catalog for names given as {@code schema.table} or {@code table}
 * @param defaultSchema schema for names given as {@code table}
 * @param rowLimit at most this many rows come back; more sets the truncation flag
 * @param consistency how fresh the snapshot of a table read without time travel must be
 * @param timeTravel per table, a version or time to read instead of the latest
 */
public record QueryRequest(
        String queryId,
        String tenant,
        String sql,
        String defaultCatalog,
        String defaultSchema,
        long rowLimit,
        Duration timeout,
        Consistency consistency,
        Map<DatasetName, TimeTravel> timeTravel) {

    public QueryRequest {
        requireNonNull(queryId, "queryId is null");
        requireNonNull(tenant, "tenant is null");
        requireNonNull(sql, "sql is null");
        requireNonNull(timeout, "timeout is null");
        requireNonNull(consistency, "consistency is null");
        timeTravel = Map.copyOf(requireNonNull(timeTravel, "timeTravel is null"));
        if (rowLimit < 1) {
            throw new IllegalArgumentException("rowLimit must be positive");
        }
    }

    public static QueryRequest of(String queryId, String tenant, String sql) {
        return new QueryRequest(queryId, tenant, sql, null, null, 1_000_000, Duration.ofMinutes(5),
                Consistency.LATEST_COMMITTED, Map.of());
    }

    public QueryRequest withDefaults(String catalog, String schema) {
        return new QueryRequest(queryId, tenant, sql, catalog, schema, rowLimit, timeout, consistency, timeTravel);
    }

    public QueryRequest withRowLimit(long limit) {
        return new QueryRequest(queryId, tenant, sql, defaultCatalog, defaultSchema, limit, timeout, consistency, timeTravel);
    }

    public QueryRequest withTimeout(Duration value) {
        return new QueryRequest(queryId, tenant, sql, defaultCatalog, defaultSchema, rowLimit, value, consistency, timeTravel);
    }

    public QueryRequest withConsistency(Consistency value) {
        return new QueryRequest(queryId, tenant, sql, defaultCatalog, defaultSchema, rowLimit, timeout, value, timeTravel);
    }

    public QueryRequest withTimeTravel(Map<DatasetName, TimeTravel> value) {
        return new QueryRequest(queryId, tenant, sql, defaultCatalog, defaultSchema, rowLimit, timeout, consistency, value);
    }
}
