package io.lakeshard.query.sql;

import java.util.List;

/** A statement that passed the sandbox: the datasets it reads and its text rewritten to read views of them. */
public record AnalyzedStatement(String rewrittenSql, List<TableReference> tables) {
    public AnalyzedStatement {
        tables = List.copyOf(tables);
    }
}
