package io.lakeshard.query.sql;

import io.lakeshard.storage.dataset.DatasetName;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.function.Predicate;

/**
 * Statements a tenant's callers analysed before, by their text and defaults. Dashboards and prepared statements send the
 * same text again and again, and DuckDB's parse and deparse of it cost about as much as answering a count from the
 * log's statistics. What the analysis decides depends on the text and the defaults alone, except that every table it
 * names must be a dataset of the caller's tenant: that is asked again on every use (a dataset may have been dropped),
 * and a statement whose tables are not all the tenant's is analysed afresh, so it fails as it would have the first
 * time.
 */
public final class AnalyzedStatements {
    /**
     * Per tenant, although the analysis does not depend on it: one tenant's statements then cannot show another, by
     * how fast they are answered, which statements that one sends.
     */
    private record Key(String tenant, String sql, String defaultCatalog, String defaultSchema) {}

    private final StatementCache<Key, AnalyzedStatement> analyzed = new StatementCache<>();

    /** The statement as {@link SqlAnalyzer#analyze} would return it. */
    public AnalyzedStatement analyze(Connection connection, String tenant, String sql, Predicate<DatasetName> tenantHasDataset,
            String defaultCatalog, String defaultSchema) throws SQLException {
        Key key = new Key(tenant, sql, defaultCatalog, defaultSchema);
        AnalyzedStatement known = analyzed.get(key);
        if (known != null && known.tables().stream().allMatch(table -> tenantHasDataset.test(table.name()))) {
            return known;
        }
        AnalyzedStatement statement = new SqlAnalyzer(tenantHasDataset, defaultCatalog, defaultSchema).analyze(connection, sql);
        analyzed.put(sql, key, statement);
        return statement;
    }
}
