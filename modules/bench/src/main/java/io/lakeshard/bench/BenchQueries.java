package io.lakeshard.bench;

import io.lakeshard.query.Consistency;
import io.lakeshard.query.QueryRequest;
import io.lakeshard.query.catalog.TableResolver;
import io.lakeshard.query.engine.QueryEngine;
import io.lakeshard.query.engine.QueryResult;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.snapshot.SnapshotCache;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** What the query benchmarks share: a catalog of one table, and a query run to its last row. */
final class BenchQueries {
    private BenchQueries() {}

    static TableResolver oneTable(DatasetName name, SnapshotCache snapshots) {
        return new TableResolver() {
            @Override
            public Optional<SnapshotCache> resolve(String tenant, DatasetName dataset) {
                return dataset.equals(name) ? Optional.of(snapshots) : Optional.empty();
            }

            @Override
            public List<DatasetName> list(String tenant) {
                return List.of(name);
            }
        };
    }

    /** Runs {@code sql} and returns its row count. */
    static long count(QueryEngine engine, String sql) {
        long rows = 0;
        try (QueryResult result = engine.execute(request(sql))) {
            while (result.next()) {
                rows += result.batch().getRowCount();
            }
        }
        return rows;
    }

    /** Runs {@code sql}, whose first column is a number, and returns the first row's. */
    static long value(QueryEngine engine, String sql) {
        try (QueryResult result = engine.execute(request(sql))) {
            if (!result.next() || result.batch().getRowCount() == 0) {
                throw new IllegalStateException("no row from " + sql);
            }
            return ((Number) result.batch().getVector(0).getObject(0)).longValue();
        }
    }

    private static QueryRequest request(String sql) {
        // The cluster keeps each node's snapshot fresh by push; the log check a query would add is measured apart.
        return QueryRequest.of(UUID.randomUUID().toString(), "bench", sql).withConsistency(Consistency.LATEST_LOCAL);
    }
}
