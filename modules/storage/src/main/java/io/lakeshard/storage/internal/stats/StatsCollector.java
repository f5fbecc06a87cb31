package io.lakeshard.storage.internal.stats;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lakeshard.storage.dataset.TableSchema.FieldPair;
import io.lakeshard.storage.internal.schema.DeltaRange;
import io.lakeshard.storage.stats.StatValues;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Collects a file's Delta statistics while its rows are written: numRecords, and per column (struct fields
 * included) the null count and, for orderable types, min and max. Bounds are widened where Delta's encoding is
 * coarser than the data (timestamps to the millisecond, strings to a prefix), never narrowed.
 */
public final class StatsCollector {
    static final int STRING_PREFIX_LENGTH = 32;
    private static final int DOUBLE_EXACT_DIGITS = 15;

    private final List<Leaf> leaves = new ArrayList<>();
    private long numRecords;

    public StatsCollector(List<FieldPair> columns) {
        for (FieldPair column : columns) {
            addLeaves(List.of(), List.of(), column.logical(), column.physical());
        }
    }

    private void addLeaves(List<String> logicalParents, List<String> physicalParents, Field logical, Field physical) {
        List<String> logicalPath = append(logicalParents, logical.getName());
        List<String> physicalPath = append(physicalParents, physical.getName());
        if (logical.getType().getTypeID() == ArrowType.ArrowTypeID.Struct) {
            for (int i = 0; i < logical.getChildren().size(); i++) {
                addLeaves(logicalPath, physicalPath, logical.getChildren().get(i), physical.getChildren().get(i));
            }
            return;
        }
        leaves.add(new Leaf(logicalPath, physicalPath, logical.getType()));
    }

    /** Binds to a batch before {@link #add} is called for its rows. */
    public void setSource(VectorSchemaRoot root) {
        for (Leaf leaf : leaves) {
            leaf.bind(root);
        }
    }

    public void add(int row) {
        numRecords++;
        for (Leaf leaf : leaves) {
            leaf.add(row);
        }
    }

    public long numRecords() {
        return numRecords;
    }

    public String toJson() {
        JsonNodeFactory json = JsonNodeFactory.instance;
        ObjectNode root = json.objectNode();
        root.put("numRecords", numRecords);
        ObjectNode min = root.putObject("minValues");
        ObjectNode max = root.putObject("maxValues");
        ObjectNode nulls = root.putObject("nullCount");
        for (Leaf leaf : leaves) {
            nested(nulls, leaf.physicalPath).put(last(leaf.physicalPath), leaf.nullCount);
            if (leaf.min != null && leaf.boundsSurviveTheLog()) {
                nested(min, leaf.physicalPath).set(last(leaf.physicalPath), StatValues.toJson(leaf.type, leaf.finalMin()));
                nested(max, leaf.physicalPath).set(last(leaf.physicalPath), StatValues.toJson(leaf.type, leaf.finalMax()));
            }
        }
        return root.toString();
    }

    public static boolean hasMinMax(ArrowType type) {
        return switch (type.getTypeID()) {
            case Int, FloatingPoint, Decimal, Utf8, LargeUtf8, Date, Timestamp -> true;
            default -> false;
        };
    }

    private static ObjectNode nested(ObjectNode root, List<String> path) {
        ObjectNode node = root;
        for (int i = 0; i < path.size() - 1; i++) {
            ObjectNode child = (ObjectNode) node.get(path.get(i));
            node = child != null ? child : node.putObject(path.get(i));
        }
        return node;
    }

    private static String last(List<String> path) {
        return path.get(path.size() - 1);
    }

    private static List<String> append(List<String> parents, String name) {
        List<String> path = new ArrayList<>(parents);
        path.add(name);
        return List.copyOf(path);
    }

    private static final class Leaf {
        final List<String> logicalPath;
        final List<String> physicalPath;
        final ArrowType type;
        final boolean ordered;
        List<FieldVector> ancestors = List.of();
        FieldVector vector;
        long nullCount;
        Comparable<?> min;
        Comparable<?> max;
        boolean sawNaN;

        Leaf(List<String> logicalPath, List<String> physicalPath, ArrowType type) {
            this.logicalPath = logicalPath;
            this.physicalPath = physicalPath;
            this.type = type;
            this.ordered = hasMinMax(type);
        }

        void bind(VectorSchemaRoot root) {
            List<FieldVector> chain = new ArrayList<>();
            FieldVector current = root.getVector(logicalPath.get(0));
            for (int i = 1; i < logicalPath.size(); i++) {
                chain.add(current);
                current = (FieldVector) ((StructVector) current).getChild(logicalPath.get(i));
            }
            ancestors = chain;
            vector = current;
        }

        void add(int row) {
            for (FieldVector ancestor : ancestors) {
                if (ancestor.isNull(row)) {
                    nullCount++;
                    return;
                }
            }
            if (vector.isNull(row)) {
                nullCount++;
                return;
            }
            if (!ordered || sawNaN) {
                return;
            }
            Comparable<?> value = StatValues.read(vector, row);
            if (value instanceof Double d && d.isNaN()) {
                // NaN has no place in an order; a file holding one gets no bounds for the column.
                sawNaN = true;
                min = null;
                max = null;
                return;
            }
            if (min == null || StatValues.compare(value, min) < 0) {
                min = value;
            }
            if (max == null || StatValues.compare(value, max) > 0) {
                max = value;
            }
        }

        /**
         * Kernel re-encodes decimal statistics through a double: a bound with more than 15 significant digits would
         * come out rounded, possibly inside the data's range. Such a column gets no bounds, only its null count; so
         * does a timestamp column whose widened max would leave the range Delta allows.
         */
        boolean boundsSurviveTheLog() {
            if (isTimestamp()) {
                // The last millisecond of year 9999 rounds up out of Delta's range, which other readers cannot parse.
                return DeltaRange.containsMicros((Long) finalMax());
            }
            return !(min instanceof BigDecimal low && max instanceof BigDecimal high)
                    || (low.precision() <= DOUBLE_EXACT_DIGITS && high.precision() <= DOUBLE_EXACT_DIGITS);
        }

        private boolean isTimestamp() {
            return type.getTypeID() == ArrowType.ArrowTypeID.Timestamp;
        }

        Comparable<?> finalMin() {
            if (isTimestamp()) {
                return Math.floorDiv((Long) min, 1000L) * 1000L;
            }
            return min instanceof String s ? prefix(s) : min;
        }

        Comparable<?> finalMax() {
            if (isTimestamp()) {
                // Delta keeps timestamp bounds to the millisecond: round the max up so it still bounds the data.
                return Math.floorDiv((Long) max + 999L, 1000L) * 1000L;
            }
            if (max instanceof String s) {
                String prefix = prefix(s);
                // A truncated max must still bound the value: append the highest code point.
                return prefix.length() == s.length() ? s : prefix + new String(Character.toChars(Character.MAX_CODE_POINT));
            }
            return max;
        }

        private static String prefix(String s) {
            if (s.codePointCount(0, s.length()) <= STRING_PREFIX_LENGTH) {
                return s;
            }
            return s.substring(0, s.offsetByCodePoints(0, STRING_PREFIX_LENGTH));
        }
    }
}
