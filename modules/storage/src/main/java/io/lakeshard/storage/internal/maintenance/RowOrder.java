package io.lakeshard.storage.internal.maintenance;

import io.lakeshard.storage.dataset.WriterOptions;
import io.lakeshard.storage.stats.StatValues;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/** The order optimize writes rows in: as they are, sorted by columns, or along a z-order curve over columns. */
public final class RowOrder {
    private static final int BITS_PER_COLUMN = 20;

    private RowOrder() {}

    public static int[] of(VectorSchemaRoot rows, WriterOptions options) {
        int count = rows.getRowCount();
        if (!options.sortColumns().isEmpty()) {
            List<Comparable<?>[]> keys = keys(rows, options.sortColumns());
            Comparator<Integer> order = (a, b) -> compareKeys(keys, a, b);
            return IntStream.range(0, count).boxed().sorted(order).mapToInt(Integer::intValue).toArray();
        }
        if (!options.zOrderColumns().isEmpty()) {
            long[] z = zValues(rows, options.zOrderColumns());
            return IntStream.range(0, count).boxed().sorted(Comparator.comparingLong(i -> z[i])).mapToInt(Integer::intValue).toArray();
        }
        return IntStream.range(0, count).toArray();
    }

    /**
     * {@code order} without the rows whose values in {@code keyColumns} an earlier row of {@code order} has: one copy
     * of each row an at-least-once writer stored more than once. Unchanged when there are no key columns.
     */
    public static int[] distinct(VectorSchemaRoot rows, int[] order, List<String> keyColumns) {
        if (keyColumns.isEmpty()) {
            return order;
        }
        List<FieldVector> vectors = keyColumns.stream().map(rows::getVector).toList();
        Set<List<Object>> seen = new HashSet<>();
        return Arrays.stream(order).filter(row -> seen.add(key(vectors, row))).toArray();
    }

    private static List<Object> key(List<FieldVector> vectors, int row) {
        List<Object> key = new ArrayList<>(vectors.size());
        for (FieldVector vector : vectors) {
            Object value = vector.getObject(row);
            // Binary values are arrays, which compare by identity.
            key.add(value instanceof byte[] bytes ? ByteBuffer.wrap(bytes) : value);
        }
        return key;
    }

    private static List<Comparable<?>[]> keys(VectorSchemaRoot rows, List<String> columns) {
        List<Comparable<?>[]> keys = new ArrayList<>();
        for (String column : columns) {
            FieldVector vector = rows.getVector(column);
            Comparable<?>[] values = new Comparable<?>[rows.getRowCount()];
            for (int i = 0; i < values.length; i++) {
                values[i] = StatValues.read(vector, i);
            }
            keys.add(values);
        }
        return keys;
    }

    private static int compareKeys(List<Comparable<?>[]> keys, int a, int b) {
        for (Comparable<?>[] column : keys) {
            int cmp = compareNullsFirst(column[a], column[b]);
            if (cmp != 0) {
                return cmp;
            }
        }
        return Integer.compare(a, b);
    }

    private static int compareNullsFirst(Comparable<?> a, Comparable<?> b) {
        if (a == null || b == null) {
            return a == b ? 0 : a == null ? -1 : 1;
        }
        return StatValues.compare(a, b);
    }

    /**
     * Interleaves the bits of each column's rank (scaled to {@value #BITS_PER_COLUMN} bits), so rows close in every
     * column land close together and min/max statistics prune on each of them.
     */
    private static long[] zValues(VectorSchemaRoot rows, List<String> columns) {
        int count = rows.getRowCount();
        int columnCount = Math.min(columns.size(), 63 / BITS_PER_COLUMN);
        long[][] ranks = new long[columnCount][];
        List<Comparable<?>[]> keys = keys(rows, columns.subList(0, columnCount));
        for (int c = 0; c < columnCount; c++) {
            Comparable<?>[] values = keys.get(c);
            Integer[] sorted = IntStream.range(0, count).boxed().toArray(Integer[]::new);
            Arrays.sort(sorted, (a, b) -> compareNullsFirst(values[a], values[b]));
            long[] rank = new long[count];
            long scale = Math.max(1, count);
            for (int position = 0; position < count; position++) {
                rank[sorted[position]] = (position * ((1L << BITS_PER_COLUMN) - 1)) / scale;
            }
            ranks[c] = rank;
        }
        long[] z = new long[count];
        for (int row = 0; row < count; row++) {
            long value = 0;
            for (int bit = BITS_PER_COLUMN - 1; bit >= 0; bit--) {
                for (int c = 0; c < columnCount; c++) {
                    value = (value << 1) | ((ranks[c][row] >>> bit) & 1L);
                }
            }
            z[row] = value;
        }
        return z;
    }
}
