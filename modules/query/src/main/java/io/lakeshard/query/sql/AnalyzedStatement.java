package io.lakeshard.query.sql;

import java.util.List;

/**
 * A statement that passed the sandbox: the datasets it reads and its text rewritten to read views of them.
 *
 * @param namesSystemColumns whether the statement names a system column ({@code _ls_...}) anywhere: only then do the
 *     views show them, so {@code SELECT *} returns the user's columns alone
 */
public record AnalyzedStatement(String rewrittenSql, List<TableReference> tables, boolean namesSystemColumns) {
    public AnalyzedStatement {
        tables = List.copyOf(tables);
    }
}
