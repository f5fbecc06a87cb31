package io.lakeshard.storage.scan;

import io.lakeshard.storage.dataset.TableSchema;
import io.lakeshard.storage.internal.scan.Filter;
import io.lakeshard.storage.stats.FileStats;
import io.lakeshard.storage.stats.StatValues;
import io.lakeshard.storage.table.DataFile;
import io.lakeshard.storage.table.TableSnapshot;
import java.util.ArrayList;
import java.util.HashMap;
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

    /**
     * One pass over the snapshot's files, which a large table has by the hundred thousand: the conjuncts are split by
     * kind once, statistics are checked first (a trace id's bounds rule out all files but a few), and each distinct
     * partition string is parsed once per plan, not once per file.
     */
    private static List<PlannedFile> plan(TableSnapshot snapshot, Filter filter) {
        TableSchema schema = snapshot.schema();
        List<Filter.Bound> onPartitions = new ArrayList<>();
        List<Filter.Bound> onStats = new ArrayList<>();
        for (Filter.Bound conjunct : filter.conjuncts()) {
            (schema.isPartitionColumn(conjunct.column()) ? onPartitions : onStats).add(conjunct);
        }
        PartitionParser partitions = new PartitionParser(schema);
        List<PlannedFile> planned = new ArrayList<>();
        for (DataFile file : snapshot.files()) {
            if (!statsMayMatch(onStats, file)) {
                continue;
            }
            Map<String, Comparable<?>> partitionValues = partitions.values(file);
            if (partitionsMatch(onPartitions, partitionValues)) {
                planned.add(new PlannedFile(file, partitionValues));
            }
        }
        return planned;
    }

    private static boolean partitionsMatch(List<Filter.Bound> conjuncts, Map<String, Comparable<?>> partitionValues) {
        for (Filter.Bound conjunct : conjuncts) {
            if (!conjunct.matches(partitionValues.get(conjunct.column()))) {
                return false;
            }
        }
        return true;
    }

    private static boolean statsMayMatch(List<Filter.Bound> conjuncts, DataFile file) {
        for (Filter.Bound conjunct : conjuncts) {
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

    /** A file's partition values in canonical form; the strings of one plan repeat, so each is parsed once. */
    private static final class PartitionParser {
        private final List<String> columns;
        private final List<String> physicalNames = new ArrayList<>();
        private final List<ArrowType> types = new ArrayList<>();
        private final List<Map<String, Comparable<?>>> parsed = new ArrayList<>();

        PartitionParser(TableSchema schema) {
            this.columns = schema.partitionColumns();
            for (String column : columns) {
                physicalNames.add(schema.physicalName(column));
                types.add(schema.logicalField(column).getType());
                parsed.add(new HashMap<>());
            }
        }

        Map<String, Comparable<?>> values(DataFile file) {
            Map<String, Comparable<?>> values = new LinkedHashMap<>();
            for (int i = 0; i < columns.size(); i++) {
                String raw = file.partitionValues().get(physicalNames.get(i));
                ArrowType type = types.get(i);
                // A null partition value parses to null, which a HashMap cannot hold as a computed value.
                values.put(columns.get(i), raw == null ? StatValues.fromPartitionString(type, null)
                        : parsed.get(i).computeIfAbsent(raw, text -> StatValues.fromPartitionString(type, text)));
            }
            return values;
        }
    }
}
