package io.lakeshard.query.sql;

import io.lakeshard.storage.scan.ColumnPredicate;
import java.util.List;

/** A conjunct of a single-table WHERE clause: {@code column op literal(s)}, to plan files with. */
public record PushedPredicate(String column, ColumnPredicate.Op op, List<SqlLiteral> values) {
    public PushedPredicate {
        values = List.copyOf(values);
    }
}
