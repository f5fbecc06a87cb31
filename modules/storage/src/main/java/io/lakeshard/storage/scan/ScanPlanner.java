package io.lakeshard.storage.scan;

import io.lakeshard.storage.dataset.TableSchema;
import io.lakeshard.storage.internal.scan.Filter;
import io.lakeshard.storage.stats.FileStats;
import io.lakeshard.storage.stats.StatValues;
import io.lakeshard.storage.table.DataFile;
import io.lakeshard.storage.table.TableSnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * Picks the files of a snapshot that can hold rows matching a conjunctive filter: partition values decide exactly,
 * file statistics decide conservatively.
 */
public final class ScanPlanner {
    private ScanPlanner() {}

    /** A file to read, with its partition values by logical column name in canonical form. */
    public record PlannedFile(DataFile file, Map<String, Comparable<?>> partitionValues) {}

    public static List<PlannedFile> plan(TableSnapshot snapshot, List<ColumnPredicate> predicates) {
        return plan(snapshot, Filter.bind(snapshot.schema(), predicates));
    }

    private static List<PlannedFile> plan(TableSnapshot snapshot, Filter filter) {
        TableSchema schema = snapshot.schema();
        List<PlannedFile> planned = new ArrayList<>();
        for (DataFile file : snapshot.files()) {
            Map<String, Comparable<?>> partitionValues = partitionValues(schema, file);
            if (mayMatch(filter, schema, file, partitionValues)) {
                planned.add(new PlannedFile(file, partitionValues));
            }
        }
        return planned;
    }

    public static Map<String, Comparable<?>> partitionValues(TableSchema schema, DataFile file) {
        Map<String, Comparable<?>> values = new LinkedHashMap<>();
        for (String column : schema.partitionColumns()) {
            ArrowType type = schema.logicalField(column).getType();
            values.put(column, StatValues.fromPartitionString(type, file.partitionValues().get(schema.physicalName(column))));
        }
        return values;
    }

    private static boolean mayMatch(Filter filter, TableSchema schema, DataFile file, Map<String, Comparable<?>> partitionValues) {
        for (Filter.Bound conjunct : filter.conjuncts()) {
            if (schema.isPartitionColumn(conjunct.column())) {
                if (!conjunct.matches(partitionValues.get(conjunct.column()))) {
                    return false;
                }
                continue;
            }
            Optional<FileStats.ColumnStats> stats = file.stats().column(conjunct.column());
            if (stats.isEmpty()) {
                continue;
            }
            Comparable<?> max = stats.get().max();
            if (max instanceof Long micros && conjunct.type().getTypeID() == ArrowType.ArrowTypeID.Timestamp) {
                // Delta keeps timestamp bounds to the millisecond; a writer that truncated the max is still covered.
                max = micros + 999L;
            }
            if (!conjunct.mayMatch(stats.get().min(), max, stats.get().nullCount(), file.numRecords())) {
                return false;
            }
        }
        return true;
    }
}
