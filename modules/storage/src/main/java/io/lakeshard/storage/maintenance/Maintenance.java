package io.lakeshard.storage.maintenance;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.dataset.TableSchema;
import io.lakeshard.storage.dataset.WriterOptions;
import io.lakeshard.storage.internal.fs.HadoopStorage;
import io.lakeshard.storage.internal.maintenance.RowOrder;
import io.lakeshard.storage.internal.read.DataFileReader;
import io.lakeshard.storage.internal.scan.Filter;
import io.lakeshard.storage.internal.schema.SystemColumns;
import io.lakeshard.storage.internal.write.PartitionFileWriter;
import io.lakeshard.storage.scan.ColumnPredicate;
import io.lakeshard.storage.scan.ScanPlanner;
import io.lakeshard.storage.table.CommitOperation;
import io.lakeshard.storage.table.CommitConflictException;
import io.lakeshard.storage.table.CommitResult;
import io.lakeshard.storage.table.DataFile;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.TableSnapshot;
import io.lakeshard.storage.write.NewDataFile;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.VectorSchemaRootAppender;
import org.apache.hadoop.conf.Configuration;

/**
 * Rewrites a table's files: optimize (bin-packing, sorting or z-ordering small files), partition expiry and row
 * deletes. Each runs against one snapshot and commits once; a concurrent rewrite of the same files fails the commit.
 * A table Lakeshard does not write ({@link TableSnapshot#readOnlyReason}) is refused before any file is written.
 */
public final class Maintenance {
    private final DeltaTable table;
    private final BufferAllocator allocator;
    private final Configuration hadoopConf;

    public Maintenance(DeltaTable table, BufferAllocator allocator) {
        this.table = requireNonNull(table, "table is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.hadoopConf = HadoopStorage.of(table.storage()).conf();
    }

    /**
     * Packs every partition's files smaller than the target size into files of about the target size, in the
     * dataset's sort or z-order, checking the row count before committing. Rows are unchanged, so the commit is
     * {@code dataChange=false}: streaming readers skip it. A dataset with unique key columns keeps one copy of rows
     * stored twice; a rewrite that dropped any is a data change.
     */
    public MaintenanceMetrics optimize() {
        return run("optimize", prepareOptimize());
    }

    /** The files of {@link #optimize()}, written but not committed; empty when there is nothing to pack. */
    public Optional<PreparedRewrite> prepareOptimize() {
        long start = System.nanoTime();
        TableSnapshot snapshot = table.snapshot();
        snapshot.requireWritable();
        WriterOptions options = DeltaTable.definitionOf(snapshot).writerOptions();
        Map<Map<String, String>, List<DataFile>> byPartition = new LinkedHashMap<>();
        for (DataFile file : snapshot.files()) {
            if (file.sizeBytes() < options.targetFileSizeBytes()) {
                byPartition.computeIfAbsent(file.partitionValues(), k -> new ArrayList<>()).add(file);
            }
        }
        List<DataFile> removes = new ArrayList<>();
        List<NewDataFile> adds = new ArrayList<>();
        long duplicates = 0;
        try {
            for (Map.Entry<Map<String, String>, List<DataFile>> partition : byPartition.entrySet()) {
                if (partition.getValue().size() < 2) {
                    continue;
                }
                try (VectorSchemaRoot rows = readAll(snapshot, partition.getValue())) {
                    int[] order = RowOrder.distinct(rows, RowOrder.of(rows, options), options.uniqueKeyColumns());
                    List<NewDataFile> written = PartitionFileWriter.write(hadoopConf, table.root(), snapshot.schema(),
                            options, partition.getKey(), rows, order, options.targetFileSizeBytes());
                    adds.addAll(written);
                    long expected = partition.getValue().stream().mapToLong(DataFile::numRecords).sum();
                    long actual = written.stream().mapToLong(NewDataFile::numRecords).sum();
                    duplicates += rows.getRowCount() - order.length;
                    if (expected != rows.getRowCount() || actual != order.length) {
                        throw new IllegalStateException("optimize of " + table.root() + " read " + expected
                                + " rows but wrote " + actual + "; nothing committed");
                    }
                    removes.addAll(partition.getValue());
                }
            }
            if (removes.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new PreparedRewrite("optimize", snapshot, removes, adds, duplicates > 0,
                    CommitOperation.optimize(options.zOrderColumns()), start));
        } catch (RuntimeException e) {
            table.discard(adds);
            throw e;
        }
    }

    /** Drops whole partitions whose partition date is before {@code cutoff}. */
    public MaintenanceMetrics expireBefore(LocalDate cutoff) {
        return run("expire", prepareExpire(cutoff));
    }

    public Optional<PreparedRewrite> prepareExpire(LocalDate cutoff) {
        long start = System.nanoTime();
        TableSnapshot snapshot = table.snapshot();
        snapshot.requireWritable();
        ColumnPredicate expired = ColumnPredicate.lt(SystemColumns.PARTITION_DATE, cutoff);
        List<DataFile> removes = ScanPlanner.plan(snapshot, List.of(expired)).stream()
                .map(ScanPlanner.PlannedFile::file).toList();
        if (removes.isEmpty()) {
            return Optional.empty();
        }
        // Spark records dropping whole partitions as a DELETE whose predicate names them.
        return Optional.of(new PreparedRewrite("expire", snapshot, removes, List.of(), true,
                CommitOperation.delete(expired.sql()), start));
    }

    /**
     * Deletes the rows matching every predicate, copy-on-write: only files that may hold a match are read, only those
     * that do are rewritten, all in one commit.
     */
    public MaintenanceMetrics deleteRows(List<ColumnPredicate> predicates) {
        return run("delete", prepareDelete(predicates));
    }

    public Optional<PreparedRewrite> prepareDelete(List<ColumnPredicate> predicates) {
        if (predicates.isEmpty()) {
            throw new InvalidInputException("predicates", "a delete needs at least one predicate");
        }
        long start = System.nanoTime();
        TableSnapshot snapshot = table.snapshot();
        snapshot.requireWritable();
        Filter filter = Filter.bind(snapshot.schema(), predicates);
        WriterOptions options = DeltaTable.definitionOf(snapshot).writerOptions();
        DataFileReader reader = new DataFileReader(table, allocator);
        List<DataFile> removes = new ArrayList<>();
        List<NewDataFile> adds = new ArrayList<>();
        try {
            for (ScanPlanner.PlannedFile candidate : ScanPlanner.plan(snapshot, predicates)) {
                try (VectorSchemaRoot rows = reader.read(snapshot, candidate.file())) {
                    int[] kept = IntStream.range(0, rows.getRowCount())
                            .filter(row -> !filter.matches(rows, row)).toArray();
                    if (kept.length == rows.getRowCount()) {
                        continue;
                    }
                    removes.add(candidate.file());
                    if (kept.length > 0) {
                        adds.addAll(PartitionFileWriter.write(hadoopConf, table.root(), snapshot.schema(), options,
                                candidate.file().partitionValues(), rows, kept, Long.MAX_VALUE));
                    }
                }
            }
            if (removes.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new PreparedRewrite("delete", snapshot, removes, adds, true,
                    CommitOperation.delete(ColumnPredicate.sql(predicates)), start));
        } catch (RuntimeException e) {
            table.discard(adds);
            throw e;
        }
    }

    /** Deletes the rows whose {@code column} holds one of {@code keys}. */
    public MaintenanceMetrics deleteKeys(String column, List<?> keys) {
        return deleteRows(List.of(new ColumnPredicate(column, ColumnPredicate.Op.IN, new ArrayList<>(keys))));
    }

    /**
     * Commits a prepared rewrite. If a commit since it was planned removed the same files or changed the schema,
     * the commit is refused and its files are deleted. Any other failure keeps them: the log may reference them.
     */
    public MaintenanceMetrics commit(PreparedRewrite rewrite) {
        try {
            CommitResult result = table.rewrite(rewrite.readVersion(), rewrite.removes(), rewrite.adds(), rewrite.dataChange(),
                    rewrite.commitOperation());
            return metrics(rewrite.operation(), result.version(), rewrite.before(), rewrite.removes(), rewrite.adds(), rewrite.startNanos());
        } catch (CommitConflictException e) {
            abandon(rewrite);
            throw e;
        }
    }

    /** Deletes a prepared rewrite's files; nothing references them. */
    public void abandon(PreparedRewrite rewrite) {
        table.discard(rewrite.adds());
    }

    /** What a maintenance operation that found nothing to do reports. */
    public static MaintenanceMetrics nothingToDo(String operation, TableSnapshot snapshot) {
        return metrics(operation, -1, snapshot, List.of(), List.of(), System.nanoTime());
    }

    private MaintenanceMetrics run(String operation, Optional<PreparedRewrite> prepared) {
        return prepared.map(this::commit).orElseGet(() -> nothingToDo(operation, table.snapshot()));
    }

    private VectorSchemaRoot readAll(TableSnapshot snapshot, List<DataFile> files) {
        DataFileReader reader = new DataFileReader(table, allocator);
        TableSchema schema = snapshot.schema();
        VectorSchemaRoot all = VectorSchemaRoot.create(schema.logical(), allocator);
        try {
            all.allocateNew();
            all.setRowCount(0);
            for (DataFile file : files) {
                try (VectorSchemaRoot rows = reader.read(snapshot, file)) {
                    VectorSchemaRootAppender.append(all, rows);
                }
            }
            return all;
        } catch (RuntimeException e) {
            all.close();
            throw e;
        }
    }

    private static MaintenanceMetrics metrics(String operation, long version, TableSnapshot before,
            Collection<DataFile> removed, List<NewDataFile> added, long startNanos) {
        long removedRows = removed.stream().mapToLong(DataFile::numRecords).sum();
        long removedBytes = removed.stream().mapToLong(DataFile::sizeBytes).sum();
        long addedRows = added.stream().mapToLong(NewDataFile::numRecords).sum();
        long addedBytes = added.stream().mapToLong(NewDataFile::sizeBytes).sum();
        int filesBefore = before.files().size();
        boolean changed = version >= 0;
        return new MaintenanceMetrics(operation, version, filesBefore,
                changed ? filesBefore - removed.size() + added.size() : filesBefore,
                before.numRecords(), changed ? before.numRecords() - removedRows + addedRows : before.numRecords(),
                before.sizeBytes(), changed ? before.sizeBytes() - removedBytes + addedBytes : before.sizeBytes(),
                Duration.ofNanos(System.nanoTime() - startNanos));
    }
}
