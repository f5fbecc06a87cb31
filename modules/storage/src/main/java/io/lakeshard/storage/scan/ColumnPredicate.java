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

    /** The predicate as SQL text, parenthesised as Spark prints conditions: what a commit's history records. */
    public String sql() {
        String operator = switch (op) {
            case EQ -> " = ";
            case LT -> " < ";
            case LE -> " <= ";
            case GT -> " > ";
            case GE -> " >= ";
            case IN -> " IN ";
            case IS_NULL -> " IS NULL";
            case IS_NOT_NULL -> " IS NOT NULL";
        };
        String operands = switch (op) {
            case IS_NULL, IS_NOT_NULL -> "";
            case IN -> "(" + String.join(", ", values.stream().map(ColumnPredicate::literal).toList()) + ")";
            default -> literal(values.get(0));
        };
        return "(" + column + operator + operands + ")";
    }

    /** A conjunction of predicates as one SQL condition. */
    public static String sql(List<ColumnPredicate> predicates) {
        List<String> conjuncts = predicates.stream().map(ColumnPredicate::sql).toList();
        return conjuncts.size() == 1 ? conjuncts.get(0) : "(" + String.join(" AND ", conjuncts) + ")";
    }

    private static String literal(Object value) {
        if (value == null) {
            return "NULL";
        }
        if (value instanceof Number || value instanceof Boolean) {
            return value.toString();
        }
        return "'" + value.toString().replace("'", "''") + "'";
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
