package io.lakeshard.storage.internal.kernel;

import static java.util.Objects.requireNonNull;

import io.delta.kernel.CommitActions;
import io.delta.kernel.CommitRangeBuilder.CommitBoundary;
import io.delta.kernel.Snapshot;
import io.delta.kernel.TableManager;
import io.delta.kernel.commit.CommitFailedException;
import io.delta.kernel.commit.CommitMetadata;
import io.delta.kernel.commit.CommitResponse;
import io.delta.kernel.commit.Committer;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.internal.DeltaLogActionUtils.DeltaAction;
import io.delta.kernel.internal.actions.AddFile;
import io.delta.kernel.internal.actions.CommitInfo;
import io.delta.kernel.internal.actions.DeletionVectorDescriptor;
import io.delta.kernel.internal.actions.Metadata;
import io.delta.kernel.internal.actions.Protocol;
import io.delta.kernel.internal.actions.RemoveFile;
import io.delta.kernel.internal.actions.SetTransaction;
import io.delta.kernel.internal.actions.SingleAction;
import io.delta.kernel.internal.commit.DefaultFileSystemManagedTableOnlyCommitter;
import io.delta.kernel.internal.deletionvectors.DeletionVectorUtils;
import io.delta.kernel.internal.files.ParsedDeltaData;
import io.delta.kernel.internal.fs.Path;
import io.delta.kernel.internal.snapshot.MetadataCleanup;
import io.delta.kernel.internal.tablefeatures.TableFeature;
import io.delta.kernel.internal.util.FileNames;
import io.delta.kernel.internal.util.Utils;
import io.delta.kernel.internal.util.VectorUtils;
import io.delta.kernel.statistics.DataFileStatistics;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.FileStatus;
import io.lakeshard.storage.table.CommitOperation;
import io.lakeshard.storage.table.DataFile;
import io.lakeshard.storage.table.DeletionVector;
import io.lakeshard.storage.write.NewDataFile;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The one place Lakeshard touches Delta Kernel's internal classes. Kernel 4.4 has no public API for remove actions,
 * for adds with {@code dataChange=false}, for reading add actions as values, for a commit's operation, parameters
 * and metrics, for a snapshot's protocol, or for reading a deletion vector's rows; expect this class to change with
 * Kernel versions, and nothing else.
 */
public final class KernelActions {
    /** What a commit read by its name is read for: its file actions, and whether it changed the table's metadata. */
    private static final StructType COMMIT_READ_SCHEMA = new StructType()
            .add("add", AddFile.FULL_SCHEMA)
            .add("remove", RemoveFile.FULL_SCHEMA)
            .add("metaData", Metadata.FULL_SCHEMA)
            .add("protocol", Protocol.FULL_SCHEMA)
            .add("commitInfo", CommitInfo.FULL_SCHEMA);

    private KernelActions() {}

    public static Row add(StructType physicalSchema, NewDataFile file, boolean dataChange) {
        Row add = AddFile.createAddFileRow(physicalSchema, encodePath(file.relativePath()),
                VectorUtils.stringStringMapValue(file.partitionValues()), file.sizeBytes(), file.modificationTime(),
                dataChange, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                DataFileStatistics.deserializeFromJson(file.statsJson(), physicalSchema));
        return SingleAction.createAddFileSingleAction(add);
    }

    public static Row remove(StructType physicalSchema, DataFile file, boolean dataChange, long deletionTimestamp) {
        Row add = AddFile.createAddFileRow(physicalSchema, file.path(),
                VectorUtils.stringStringMapValue(file.partitionValues()), file.sizeBytes(), file.modificationTime(),
                true, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.ofNullable(file.statsJson()).flatMap(json -> DataFileStatistics.deserializeFromJson(json, physicalSchema)));
        return SingleAction.createRemoveFileSingleAction(new AddFile(add).toRemoveFileRow(dataChange, Optional.of(deletionTimestamp)));
    }

    /**
     * A {@code txn} action. Kernel's transaction builder records one writer's id per commit; a group commit records
     * each writer's, which the Delta protocol allows.
     */
    public static Row txn(String appId, long version, long lastUpdated) {
        return SingleAction.createTxnSingleAction(
                new SetTransaction(appId, version, Optional.of(lastUpdated)).toRow());
    }

    /** An add action as Kernel's scan or commit reader returns it. */
    public static AddedFile readAdd(Row addRow) {
        AddFile add = new AddFile(addRow);
        Map<String, String> partitionValues = VectorUtils.toJavaMap(add.getPartitionValues());
        return new AddedFile(add.getPath(), partitionValues, add.getSize(), add.getModificationTime(), add.getStatsJson().orElse(null),
                add.getDeletionVector().map(dv -> new DeletionVector(dv.getStorageType(), dv.getPathOrInlineDv(),
                        dv.getOffset().orElse(-1), dv.getSizeInBytes(), dv.getCardinality())));
    }

    public record AddedFile(String path, Map<String, String> partitionValues, long size, long modificationTime, String statsJson,
            Optional<DeletionVector> deletionVector) {}

    /** The positions of the rows a deletion vector deletes from its file, ascending; read through Kernel's codec. */
    public static long[] deletedRows(Engine engine, String tablePath, DeletionVector vector) {
        DeletionVectorDescriptor descriptor = new DeletionVectorDescriptor(vector.storageType(), vector.pathOrInlineDv(),
                vector.offset() < 0 ? Optional.empty() : Optional.of(vector.offset()), vector.sizeInBytes(), vector.cardinality());
        return DeletionVectorUtils.loadNewDvAndBitmap(engine, tablePath, descriptor)._2.toArray();
    }

    /** The adds and removes of one commit, in log order. */
    public record CommitChanges(long version, long timestamp, List<AddedFile> adds, List<String> removedPaths, boolean metadataChanged) {}

    public static List<CommitChanges> readCommits(Engine engine, String tablePath, long fromVersion, long toVersion) {
        List<CommitChanges> commits = new ArrayList<>();
        var range = TableManager
                .loadCommitRange(tablePath, CommitBoundary.atVersion(fromVersion))
                .withEndBoundary(CommitBoundary.atVersion(toVersion))
                .build(engine);
        try (CloseableIterator<CommitActions> it =
                range.getCommitActions(engine, Set.of(DeltaAction.ADD, DeltaAction.REMOVE, DeltaAction.METADATA))) {
            while (it.hasNext()) {
                try (CommitActions commit = it.next()) {
                    commits.add(readCommit(commit));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            if (e instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e);
        }
        return commits;
    }

    private static CommitChanges readCommit(CommitActions commit) throws IOException {
        try (CloseableIterator<ColumnarBatch> batches = commit.getActions()) {
            return changes(commit.getVersion(), commit.getTimestamp(), batches);
        }
    }

    /**
     * The commits after {@code afterVersion}, each read by its name until the first that does not exist, without
     * listing the log: a commit file is written whole (put-if-absent), so one that exists is complete. The reading
     * stops after a commit that changes the metadata or the protocol, which the caller loads the snapshot for. Empty
     * when the names cannot tell: {@code afterVersion}'s own file is gone (cleaned from the log, so the commits after
     * it may be too), or more than {@code max} commits follow, which a snapshot's load reads for less.
     */
    public static Optional<List<CommitChanges>> readCommitsAfter(Engine engine, String tablePath, long afterVersion, int max) {
        List<CommitChanges> commits = new ArrayList<>();
        Path log = new Path(tablePath, "_delta_log");
        for (long version = afterVersion + 1; ; version++) {
            if (commits.size() == max) {
                return Optional.empty();
            }
            Optional<FileStatus> status = status(engine, FileNames.deltaFile(log, version));
            if (status.isEmpty()) {
                // The log is cleaned oldest first: while the cached version's own file is there, no later one was
                // cleaned, so a missing next one has not been written yet.
                return commits.isEmpty() && status(engine, FileNames.deltaFile(log, afterVersion)).isEmpty()
                        ? Optional.empty() : Optional.of(commits);
            }
            try (CloseableIterator<ColumnarBatch> batches = engine.getJsonHandler()
                    .readJsonFiles(Utils.singletonCloseableIterator(status.get()), COMMIT_READ_SCHEMA, Optional.empty())) {
                CommitChanges commit = changes(version, status.get().getModificationTime(), batches);
                commits.add(commit);
                if (commit.metadataChanged()) {
                    return Optional.of(commits);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static Optional<FileStatus> status(Engine engine, String file) {
        try {
            return Optional.of(engine.getFileSystemClient().getFileStatus(file));
        } catch (FileNotFoundException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * One commit's adds and removes, and whether it changed the metadata or the protocol. Its time is the in-commit
     * timestamp when the commit has one (as Kernel's), else {@code fileTimestamp}.
     */
    private static CommitChanges changes(long version, long fileTimestamp, CloseableIterator<ColumnarBatch> batches) {
        List<AddedFile> adds = new ArrayList<>();
        List<String> removes = new ArrayList<>();
        boolean metadataChanged = false;
        long timestamp = fileTimestamp;
        while (batches.hasNext()) {
            ColumnarBatch batch = batches.next();
            int addIndex = batch.getSchema().indexOf("add");
            int removeIndex = batch.getSchema().indexOf("remove");
            int metadataIndex = batch.getSchema().indexOf("metaData");
            int protocolIndex = batch.getSchema().indexOf("protocol");
            int commitInfoIndex = batch.getSchema().indexOf("commitInfo");
            try (CloseableIterator<Row> rows = batch.getRows()) {
                while (rows.hasNext()) {
                    Row row = rows.next();
                    if (addIndex >= 0 && !row.isNullAt(addIndex)) {
                        adds.add(readAdd(row.getStruct(addIndex)));
                    }
                    if (removeIndex >= 0 && !row.isNullAt(removeIndex)) {
                        removes.add(new RemoveFile(row.getStruct(removeIndex)).getPath());
                    }
                    boolean metadata = metadataIndex >= 0 && !row.isNullAt(metadataIndex);
                    boolean protocol = protocolIndex >= 0 && !row.isNullAt(protocolIndex);
                    metadataChanged |= metadata || protocol;
                    if (commitInfoIndex >= 0 && !row.isNullAt(commitInfoIndex)) {
                        Row commitInfo = row.getStruct(commitInfoIndex);
                        int ict = commitInfo.getSchema().indexOf("inCommitTimestamp");
                        if (ict >= 0 && !commitInfo.isNullAt(ict)) {
                            timestamp = commitInfo.getLong(ict);
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new CommitChanges(version, timestamp, adds, removes, metadataChanged);
    }

    /**
     * Deletes commit and checkpoint files older than the retention that a newer checkpoint makes unnecessary. Kernel's
     * checkpoint hook skips this for the post-commit snapshot it is handed, so the writer calls it after checkpoints.
     */
    public static long cleanupExpiredLogs(Engine engine, Clock clock, String tablePath, long retentionMillis) throws IOException {
        return MetadataCleanup.cleanupExpiredLogs(engine, clock::millis, new Path(tablePath), retentionMillis);
    }

    /**
     * A committer that writes what a commit did into the {@code commitInfo} Kernel generated (which names every update
     * {@code Manual Update}, with no parameters or metrics), then commits as Kernel's default file-system committer
     * does, through the configured log store. Kernel takes the committer from the snapshot a transaction is built on;
     * {@link #record} is called before the commit, once its files are known.
     *
     * <p>A commit whose write failed, or found its version taken, may be this transaction's own: the store wrote it and
     * the answer was lost, and the client's retry of the same PUT was refused or failed. Kernel would call that a
     * conflict, and the writer would delete the files the commit adds. The commit file at the version names the
     * transaction that wrote it ({@code commitInfo.txnId}), so it is read: if it is this transaction's, it committed.
     */
    public static final class HistoryCommitter implements Committer {
        private static final StructType TXN_ID = new StructType()
                .add("commitInfo", new StructType().add("txnId", StringType.STRING));

        private volatile CommitOperation operation;
        private volatile Map<String, String> metrics = Map.of();

        public void record(CommitOperation operation, Map<String, String> metrics) {
            this.operation = requireNonNull(operation, "operation is null");
            this.metrics = Map.copyOf(requireNonNull(metrics, "metrics is null"));
        }

        @Override
        public CommitResponse commit(Engine engine, CloseableIterator<Row> actions, CommitMetadata metadata) throws CommitFailedException {
            CommitOperation recorded = operation;
            CommitInfo generated = metadata.getCommitInfo();
            CloseableIterator<Row> committed = actions;
            if (recorded != null) {
                Row commitInfo = SingleAction.createCommitInfoSingleAction(new CommitInfo(generated.getInCommitTimestamp(),
                        generated.getTimestamp(), generated.getEngineInfo(), Optional.of(recorded.name()), recorded.parameters(),
                        Optional.of(recorded.blindAppend()), generated.getTxnId(), metrics).toRow());
                committed = actions.map(action -> isCommitInfo(action) ? commitInfo : action);
            }
            try {
                return DefaultFileSystemManagedTableOnlyCommitter.INSTANCE.commit(engine, committed, metadata);
            } catch (CommitFailedException e) {
                String file = FileNames.deltaFile(metadata.getDeltaLogDirPath(), metadata.getVersion());
                if (generated.getTxnId().isPresent() && writtenBy(engine, file, generated.getTxnId().get())) {
                    return new CommitResponse(ParsedDeltaData.forFileStatus(FileStatus.of(file)));
                }
                throw e;
            }
        }

        /** Whether the commit file exists and was written by transaction {@code txnId}; false if it cannot be read. */
        private static boolean writtenBy(Engine engine, String file, String txnId) {
            try (CloseableIterator<ColumnarBatch> batches = engine.getJsonHandler()
                    .readJsonFiles(Utils.singletonCloseableIterator(FileStatus.of(file)), TXN_ID, Optional.empty())) {
                while (batches.hasNext()) {
                    ColumnarBatch batch = batches.next();
                    ColumnVector commitInfo = batch.getColumnVector(0);
                    ColumnVector ids = commitInfo.getChild(0);
                    for (int row = 0; row < batch.getSize(); row++) {
                        if (!commitInfo.isNullAt(row) && !ids.isNullAt(row)) {
                            return txnId.equals(ids.getString(row));
                        }
                    }
                }
                return false;
            } catch (IOException | RuntimeException unreadable) {
                // Not there (the write failed before the store had it) or not readable now: not known to be ours.
                return false;
            }
        }

        private static boolean isCommitInfo(Row action) {
            int index = action.getSchema().indexOf("commitInfo");
            return index >= 0 && !action.isNullAt(index);
        }
    }

    /**
     * The reader features a snapshot's protocol needs: listed from reader version 3, implied by older versions
     * (version 2 is column mapping).
     */
    public static Set<String> readerFeatures(Snapshot snapshot) {
        Protocol protocol = snapshot.getProtocol();
        if (protocol.supportsReaderFeatures()) {
            return Set.copyOf(protocol.getReaderFeatures());
        }
        return protocol.getMinReaderVersion() >= 2 ? Set.of("columnMapping") : Set.of();
    }

    /**
     * Every table feature a snapshot's protocol supports, by name: listed from writer version 7, implied by older
     * versions (version 2 is append-only and invariants, 5 adds column mapping, and so on).
     */
    public static Set<String> features(Snapshot snapshot) {
        Set<String> names = new TreeSet<>();
        for (TableFeature feature : snapshot.getProtocol().getImplicitlyAndExplicitlySupportedFeatures()) {
            names.add(feature.featureName());
        }
        return names;
    }

    /** The log stores paths as relative URIs: percent-encode what a URI cannot hold ('%', spaces, ...). */
    public static String encodePath(String relativePath) {
        try {
            return new URI(null, null, relativePath, null).getRawPath();
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("bad path " + relativePath, e);
        }
    }
}
