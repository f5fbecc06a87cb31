package io.lakeshard.query.sql;

import io.lakeshard.storage.dataset.DatasetName;
import java.util.List;
import java.util.Optional;

/**
 * One place a statement reads a dataset. Each reference gets its own view, so each can be planned with the filters
 * of its own SELECT.
 *
 * @param viewName the temporary view the rewritten statement reads instead
 * @param atVersion, atTimestamp the statement's own {@code AT (VERSION => n)} / {@code AT (TIMESTAMP => t)}
 */
public record TableReference(
        String viewName,
        DatasetName name,
        Optional<SqlLiteral> atVersion,
        Optional<SqlLiteral> atTimestamp,
        List<PushedPredicate> predicates) {
    public TableReference {
        predicates = List.copyOf(predicates);
    }
}
