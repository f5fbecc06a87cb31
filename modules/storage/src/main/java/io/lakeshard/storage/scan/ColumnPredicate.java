package io.lakeshard.storage.scan;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.List;

/** One conjunct of a filter on a top-level column: {@code column op value(s)}. */
public record ColumnPredicate(String column, Op op, List<Object> values) {
    public enum Op { EQ, LT, LE, GT, GE, IN, IS_NULL, IS_NOT_NULL }

    public ColumnPredicate {
        requireNonNull(column, "column is null");
        requireNonNull(op, "op is null");
        values = List.copyOf(requireNonNull(values, "values is null"));
        int expected = switch (op) {
            case IS_NULL, IS_NOT_NULL -> 0;
            case IN -> -1;
            default -> 1;
        };
        if (expected >= 0 && values.size() != expected) {
            throw new IllegalArgumentException(op + " takes " + expected + " value(s), got " + values.size());
        }
    }

    public static ColumnPredicate eq(String column, Object value) {
        return new ColumnPredicate(column, Op.EQ, List.of(value));
    }

    public static ColumnPredicate lt(String column, Object value) {
        return new ColumnPredicate(column, Op.LT, List.of(value));
    }

    public static ColumnPredicate le(String column, Object value) {
        return new ColumnPredicate(column, Op.LE, List.of(value));
    }

    public static ColumnPredicate gt(String column, Object value) {
        return new ColumnPredicate(column, Op.GT, List.of(value));
    }

    public static ColumnPredicate ge(String column, Object value) {
        return new ColumnPredicate(column, Op.GE, List.of(value));
    }

    public static ColumnPredicate in(String column, Object... values) {
        return new ColumnPredicate(column, Op.IN, Arrays.asList(values));
    }

    public static ColumnPredicate isNull(String column) {
        return new ColumnPredicate(column, Op.IS_NULL, List.of());
    }

    public static ColumnPredicate isNotNull(String column) {
        return new ColumnPredicate(column, Op.IS_NOT_NULL, List.of());
    }
}
