package io.lakeshard.storage.internal.scan;

import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.dataset.TableSchema;
import io.lakeshard.storage.internal.schema.SupportedTypes;
import io.lakeshard.storage.scan.ColumnPredicate;
import io.lakeshard.storage.stats.StatValues;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * A conjunction of column predicates bound to a table schema: literals converted to the columns' canonical values.
 * Evaluates against rows exactly, and against file statistics conservatively (never drops a file that may match).
 */
public final class Filter {
    private final List<Bound> conjuncts;

    private Filter(List<Bound> conjuncts) {
        this.conjuncts = List.copyOf(conjuncts);
    }

    public static Filter bind(TableSchema schema, List<ColumnPredicate> predicates) {
        List<Bound> bound = new ArrayList<>();
        for (ColumnPredicate predicate : predicates) {
            Field field = schema.logicalField(predicate.column());
            if (field == null) {
                throw new InvalidInputException("predicate." + predicate.column(), "no such column");
            }
            boolean nullTest = predicate.op() == ColumnPredicate.Op.IS_NULL || predicate.op() == ColumnPredicate.Op.IS_NOT_NULL;
            if (!nullTest && !SupportedTypes.isOrderable(field.getType())) {
                throw new InvalidInputException("predicate." + predicate.column(),
                        "type " + field.getType() + " cannot be compared");
            }
            List<Comparable<?>> values = new ArrayList<>();
            for (Object value : predicate.values()) {
                if (value == null) {
                    throw new InvalidInputException("predicate." + predicate.column(), "compare with null using IS NULL");
                }
                try {
                    values.add(StatValues.normalize(field.getType(), value));
                } catch (IllegalArgumentException e) {
                    throw new InvalidInputException("predicate." + predicate.column(), e.getMessage());
                }
            }
            bound.add(new Bound(predicate.column(), field.getType(), predicate.op(), values));
        }
        return new Filter(bound);
    }

    public List<Bound> conjuncts() {
        return conjuncts;
    }

    /** Whether row {@code row} of {@code batch} satisfies every conjunct. */
    public boolean matches(VectorSchemaRoot batch, int row) {
        for (Bound conjunct : conjuncts) {
            if (!conjunct.matches(StatValues.read(batch.getVector(conjunct.column()), row))) {
                return false;
            }
        }
        return true;
    }

    /** One conjunct with canonical values. */
    public record Bound(String column, ArrowType type, ColumnPredicate.Op op, List<Comparable<?>> values) {
        public boolean matches(Comparable<?> value) {
            return switch (op) {
                case IS_NULL -> value == null;
                case IS_NOT_NULL -> value != null;
                case IN -> value != null && values.stream().anyMatch(v -> StatValues.compare(value, v) == 0);
                default -> value != null && compareMatches(StatValues.compare(value, values.get(0)));
            };
        }

        private boolean compareMatches(int cmp) {
            return switch (op) {
                case EQ -> cmp == 0;
                case LT -> cmp < 0;
                case LE -> cmp <= 0;
                case GT -> cmp > 0;
                case GE -> cmp >= 0;
                default -> throw new IllegalStateException();
            };
        }

        /**
         * Whether a file whose values lie in {@code [min, max]} with {@code nullCount} nulls of {@code rows} may hold a
         * match; unknown bounds are null, unknown counts negative.
         */
        public boolean mayMatch(Comparable<?> min, Comparable<?> max, long nullCount, long rows) {
            boolean allNull = nullCount >= 0 && rows >= 0 && nullCount == rows;
            return switch (op) {
                case IS_NULL -> nullCount != 0;
                case IS_NOT_NULL -> !allNull;
                case IN -> !allNull && values.stream().anyMatch(v -> inRange(v, min, max));
                case EQ -> !allNull && inRange(values.get(0), min, max);
                case LT -> !allNull && (min == null || StatValues.compare(min, values.get(0)) < 0);
                case LE -> !allNull && (min == null || StatValues.compare(min, values.get(0)) <= 0);
                case GT -> !allNull && (max == null || StatValues.compare(max, values.get(0)) > 0);
                case GE -> !allNull && (max == null || StatValues.compare(max, values.get(0)) >= 0);
            };
        }

        private static boolean inRange(Comparable<?> value, Comparable<?> min, Comparable<?> max) {
            return (min == null || StatValues.compare(value, min) >= 0) && (max == null || StatValues.compare(value, max) <= 0);
        }
    }
}
