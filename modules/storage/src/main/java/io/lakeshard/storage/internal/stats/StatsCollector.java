package io.lakeshard.storage.internal.stats;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lakeshard.storage.dataset.TableSchema.FieldPair;
import io.lakeshard.storage.internal.schema.DeltaRange;
import io.lakeshard.storage.internal.schema.SupportedTypes;
import io.lakeshard.storage.stats.StatValues;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntToLongFunction;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TimeStampVector;
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

    /** Binds to a batch before {@link #columnAdds} is called for its rows. */
    public void setSource(VectorSchemaRoot root) {
        for (Leaf leaf : leaves) {
            leaf.bind(root);
        }
    }

    /**
     * Adds rows {@code rows[from..to)} of the bound batch, as one task per column: the tasks may run on different
     * threads (each column's bounds are its own). The records are counted here.
     */
    public List<Runnable> columnAdds(int[] rows, int from, int to) {
        numRecords += to - from;
        List<Runnable> tasks = new ArrayList<>(leaves.size());
        for (Leaf leaf : leaves) {
            tasks.add(() -> {
                for (int i = from; i < to; i++) {
                    leaf.add(rows[i]);
                }
            });
        }
        return tasks;
    }

    /** Adds what {@code other}, collected over other rows of the same columns, saw. */
    public void merge(StatsCollector other) {
        if (other.leaves.size() != leaves.size()) {
            throw new IllegalArgumentException("statistics of other columns");
        }
        numRecords += other.numRecords;
        for (int i = 0; i < leaves.size(); i++) {
            leaves.get(i).merge(other.leaves.get(i));
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
            leaf.settle();
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
        /** Bounds kept without boxing for the common types, or null: {@link #min} and {@link #max} as values. */
        Bounds bounds;
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
            settle();
            vector = current;
            bounds = !ordered ? null : Bounds.of(current);
        }

        void merge(Leaf other) {
            other.settle();
            settle();
            nullCount += other.nullCount;
            if (sawNaN || other.sawNaN) {
                sawNaN = true;
                min = null;
                max = null;
                return;
            }
            if (other.min != null && (min == null || StatValues.compare(other.min, min) < 0)) {
                min = other.min;
            }
            if (other.max != null && (max == null || StatValues.compare(other.max, max) > 0)) {
                max = other.max;
            }
        }

        /** Moves what {@link #bounds} saw into {@link #min} and {@link #max}. */
        void settle() {
            if (bounds == null || !bounds.any()) {
                return;
            }
            Comparable<?> low = bounds.min();
            Comparable<?> high = bounds.max();
            if (min == null || StatValues.compare(low, min) < 0) {
                min = low;
            }
            if (max == null || StatValues.compare(high, max) > 0) {
                max = high;
            }
            bounds.reset();
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
            if (bounds != null) {
                bounds.add(row);
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

    /**
     * Min and max of one vector's values without a boxed value per row: integers, dates and timestamps as longs,
     * strings as their UTF-8 bytes (byte order is code-point order, the order {@link StatValues#compareUtf8} keeps).
     */
    private abstract static class Bounds {
        static Bounds of(FieldVector vector) {
            if (vector instanceof BaseIntVector v) {
                return new LongBounds(v::getValueAsLong);
            }
            if (vector instanceof DateDayVector v) {
                return new LongBounds(row -> v.get(row));
            }
            if (vector instanceof TimeStampVector v) {
                return new LongBounds(v::get);
            }
            if (vector instanceof BaseVariableWidthVector v && SupportedTypes.isString(v.getField().getType())) {
                return new Utf8Bounds(v);
            }
            return null;
        }

        abstract void add(int row);

        abstract boolean any();

        abstract Comparable<?> min();

        abstract Comparable<?> max();

        abstract void reset();
    }

    private static final class LongBounds extends Bounds {
        private final IntToLongFunction values;
        private boolean any;
        private long min = Long.MAX_VALUE;
        private long max = Long.MIN_VALUE;

        LongBounds(IntToLongFunction values) {
            this.values = values;
        }

        @Override
        void add(int row) {
            long value = values.applyAsLong(row);
            any = true;
            if (value < min) {
                min = value;
            }
            if (value > max) {
                max = value;
            }
        }

        @Override
        boolean any() {
            return any;
        }

        @Override
        Comparable<?> min() {
            return min;
        }

        @Override
        Comparable<?> max() {
            return max;
        }

        @Override
        void reset() {
            any = false;
            min = Long.MAX_VALUE;
            max = Long.MIN_VALUE;
        }
    }

    private static final class Utf8Bounds extends Bounds {
        private final BaseVariableWidthVector vector;
        private byte[] scratch = new byte[64];
        private byte[] min;
        private byte[] max;

        Utf8Bounds(BaseVariableWidthVector vector) {
            this.vector = vector;
        }

        @Override
        void add(int row) {
            int start = vector.getStartOffset(row);
            int length = vector.getEndOffset(row) - start;
            if (scratch.length < length) {
                scratch = new byte[Math.max(length, scratch.length * 2)];
            }
            vector.getDataBuffer().getBytes(start, scratch, 0, length);
            if (min == null || Arrays.compareUnsigned(scratch, 0, length, min, 0, min.length) < 0) {
                min = Arrays.copyOf(scratch, length);
            }
            if (max == null || Arrays.compareUnsigned(scratch, 0, length, max, 0, max.length) > 0) {
                max = Arrays.copyOf(scratch, length);
            }
        }

        @Override
        boolean any() {
            return min != null;
        }

        @Override
        Comparable<?> min() {
            return new String(min, StandardCharsets.UTF_8);
        }

        @Override
        Comparable<?> max() {
            return new String(max, StandardCharsets.UTF_8);
        }

        @Override
        void reset() {
            min = null;
            max = null;
        }
    }
}
