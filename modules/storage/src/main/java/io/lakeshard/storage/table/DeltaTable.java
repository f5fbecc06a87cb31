package io.lakeshard.storage.table;

import static java.util.Objects.requireNonNull;

import io.delta.kernel.Operation;
import io.delta.kernel.Snapshot;
import io.delta.kernel.TableManager;
import io.delta.kernel.Transaction;
import io.delta.kernel.TransactionCommitResult;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.commit.CommitFailedException;
import io.delta.kernel.exceptions.ConcurrentWriteException;
import io.delta.kernel.exceptions.KernelException;
import io.delta.kernel.exceptions.MaxCommitRetryLimitReachedException;
import io.delta.kernel.exceptions.TableNotFoundException;
import io.delta.kernel.expressions.Column;
import io.delta.kernel.hook.PostCommitHook;
import io.delta.kernel.transaction.DataLayoutSpec;
import io.delta.kernel.transaction.UpdateTableTransactionBuilder;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterable;
import io.delta.kernel.utils.CloseableIterator;
import io.lakeshard.storage.StorageUnavailableException;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.dataset.TableSchema;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.internal.fs.HadoopStorage;
import io.lakeshard.storage.internal.kernel.DeltaSchemas;
import io.lakeshard.storage.internal.kernel.KernelActions;
import io.lakeshard.storage.internal.kernel.KernelActions.HistoryCommitter;
import io.lakeshard.storage.internal.kernel.TableProperties;
import io.lakeshard.storage.internal.kernel.WriteSupport;
import io.lakeshard.storage.internal.schema.SupportedTypes;
import io.lakeshard.storage.internal.schema.SystemColumns;
import io.lakeshard.storage.internal.write.DataFiles;
import io.lakeshard.storage.stats.FileStats;
import io.lakeshard.storage.write.NewDataFile;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Delta table: creating it, reading its versions, and committing to it. All commits go through here, with
 * Kernel's conflict checks, idempotency keys, and its post-commit hooks (checkpoints, checksums, log cleanup) run
 * after every commit: in the committing thread, or for appends handed to a housekeeping executor, one table's
 * hooks one at a time in commit order (a checkpoint still queued when a later one is due is skipped).
 */
public final class DeltaTable {
    /** A snapshot's files are parsed in chunks of this many, beside the reading of the rest. */
    private static final int PARSE_CHUNK_FILES = 4_096;
    /** A refresh reads at most this many commits one by one (two requests each on S3) before it lists the log. */
    private static final int FOLLOWED_BY_NAME = 100;
    private static final Logger log = LoggerFactory.getLogger(DeltaTable.class);
    private static final String ENGINE_INFO = "lakeshard/0.1";
    private static final Pattern LOG_ENTRY = Pattern.compile("(\\d{20})\\.(json|crc)");
    /**
     * The reader features Lakeshard implements: column mapping, timestamps without zone, v2 checkpoints (Kernel's) and
     * deletion vectors (the query engine leaves out the rows they delete).
     */
    private static final Set<String> READER_FEATURES = Set.of("columnMapping", "timestampNtz", "v2Checkpoint", "deletionVectors");

    private final StorageRoot storage;
    private final URI root;
    private final String path;
    private final Engine engine;
    private final Configuration hadoopConf;
    private final Clock clock;
    /** The last housekeeping handed off: the next runs after it, so one table's hooks never overlap. */
    private CompletableFuture<Void> housekeeping = CompletableFuture.completedFuture(null);
    /**
     * The newest version with a checkpoint due, written under this object's lock: an older one still queued is
     * skipped. Should that newer one fail (or its task be refused), readers replay from the checkpoint before
     * until the next interval's.
     */
    private volatile long newestCheckpointDue = -1;
    /** Commits through {@link #appendGroup} record their history here: one at a time, under {@link #head}'s lock. */
    private final HistoryCommitter appendHistory = new HistoryCommitter();
    private final Head head = new Head();

    private DeltaTable(StorageRoot storage, URI root) {
        this.storage = requireNonNull(storage, "storage is null");
        this.root = requireNonNull(root, "root is null");
        this.path = root.toString();
        this.hadoopConf = HadoopStorage.of(storage).conf();
        this.engine = DefaultEngine.create(hadoopConf);
        this.clock = storage.clock();
    }

    public static DeltaTable at(StorageRoot storage, URI root) {
        return new DeltaTable(storage, root);
    }

    /**
     * Creates the table at version 0. Creating a table that exists with the same columns and partitioning is a
     * no-op, so a retried registration succeeds; any other existing table is a conflict.
     */
    public static DeltaTable create(StorageRoot storage, URI root, DatasetDefinition definition, TableSettings settings) {
        DeltaTable table = new DeltaTable(storage, root);
        if (table.exists()) {
            TableSchema existing = table.snapshot().schema();
            if (!existing.logical().equals(definition.tableSchema())
                    || !existing.partitionColumns().equals(definition.tablePartitionColumns())) {
                throw new TableExistsException("a different table already exists at " + root);
            }
            return table;
        }
        Transaction txn = TableManager.buildCreateTableTransaction(table.path,
                        DeltaSchemas.toDelta(definition.tableSchema()), ENGINE_INFO)
                .withDataLayoutSpec(DataLayoutSpec.partitioned(definition.tablePartitionColumns().stream()
                        .map(Column::new).toList()))
                .withTableProperties(TableProperties.forCreate(definition, settings.checkpointInterval(), settings.logRetention()))
                .build(table.engine);
        try {
            table.finish(txn.commit(table.engine, CloseableIterable.emptyIterable()));
        } catch (ConcurrentWriteException e) {
            // Someone created it first; the check above decides whether that is the same table.
            return create(storage, root, definition, settings);
        }
        return table;
    }

    public URI root() {
        return root;
    }

    public StorageRoot storage() {
        return storage;
    }

    /** Deletes files written for this table that will never be committed; a failure only leaves an orphan for vacuum. */
    public void discard(List<NewDataFile> files) {
        DataFiles.deleteQuietly(hadoopConf, root, files);
    }

    public boolean exists() {
        try {
            TableManager.loadSnapshot(path).build(engine);
            return true;
        } catch (TableNotFoundException e) {
            return false;
        }
    }

    public long latestVersion() {
        return latest().getVersion();
    }

    public TableSnapshot snapshot() {
        return toSnapshot(latest());
    }

    public TableSnapshot snapshotAt(long version) {
        return toSnapshot(readable(TableManager.loadSnapshot(path).atVersion(version).build(engine)));
    }

    /** The version that was current at {@code time}. */
    public TableSnapshot snapshotAsOf(Instant time) {
        return toSnapshot(readable(TableManager.loadSnapshot(path).atTimestamp(time.toEpochMilli(), latest()).build(engine)));
    }

    /** The latest version whose commit is not later than {@code time}, or empty if the table is younger. */
    public Optional<Long> versionAsOf(Instant time) {
        Snapshot latest = latest();
        if (time.toEpochMilli() >= latest.getTimestamp(engine)) {
            // Kernel refuses a time after the latest commit; the latest version is the one current then.
            return Optional.of(latest.getVersion());
        }
        try {
            return Optional.of(TableManager.loadSnapshot(path).atTimestamp(time.toEpochMilli(), latest).build(engine).getVersion());
        } catch (KernelException e) {
            if (String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT).contains("before the earliest")) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** The latest version's schema and properties, with an empty file list: reads no file actions. */
    public TableSnapshot latestMetadata() {
        return metadataOf(latest());
    }

    /**
     * The schema and properties at {@code version}, as {@link #latestMetadata} returns them, from the snapshot the last
     * commit here made when it is that version: the table's writer asks before every commit, and the log need not
     * be listed for it.
     */
    public TableSnapshot metadataAt(long version) {
        Optional<Snapshot> known;
        synchronized (head) {
            known = head.at(version);
        }
        return metadataOf(known.orElseGet(() -> readable(TableManager.loadSnapshot(path).atVersion(version).build(engine))));
    }

    private TableSnapshot metadataOf(Snapshot snapshot) {
        return new TableSnapshot(root, snapshot.getVersion(), snapshot.getTimestamp(engine), schemaOf(snapshot),
                snapshot.getTableProperties(), WriteSupport.refusal(snapshot), Map.of());
    }

    /** The adds and removes of every commit in {@code (fromVersion, toVersion]}, in order. */
    public List<TableChange> changes(long fromVersionExclusive, long toVersionInclusive, TableSchema schema) {
        if (toVersionInclusive <= fromVersionExclusive) {
            return List.of();
        }
        return tableChanges(KernelActions.readCommits(engine, path, fromVersionExclusive + 1, toVersionInclusive), schema);
    }

    private static List<TableChange> tableChanges(List<KernelActions.CommitChanges> commits, TableSchema schema) {
        FileStats.Reader stats = statsReader(schema);
        List<TableChange> changes = new ArrayList<>();
        for (KernelActions.CommitChanges commit : commits) {
            List<DataFile> adds = commit.adds().stream().map(add -> dataFile(add, stats)).toList();
            changes.add(new TableChange(commit.version(), commit.timestamp(), adds, commit.removedPaths(), commit.metadataChanged()));
        }
        return changes;
    }

    /**
     * The commits after {@code version}, found by their names rather than by listing the log (on a long log, a listing
     * costs more than the commits it finds), up to the first that does not exist: none when nothing was committed
     * since. The last one returned is the only one that may have changed the metadata ({@link TableChange#metadataChanged}).
     * Adds carry their statistics in {@code schema}, the table's schema at {@code version}. Empty when the names
     * cannot tell: {@code version} was cleaned from the log, or more than {@link #FOLLOWED_BY_NAME} commits follow.
     */
    public Optional<List<TableChange>> commitsAfter(long version, TableSchema schema) {
        return KernelActions.readCommitsAfter(engine, path, version, FOLLOWED_BY_NAME).map(commits -> tableChanges(commits, schema));
    }

    /** The positions of the rows {@code file}'s deletion vector deletes, ascending; none for a file without one. */
    public long[] deletedRows(DataFile file) {
        return file.deletionVector().map(vector -> KernelActions.deletedRows(engine, path, vector)).orElse(new long[0]);
    }

    /** The last sequence number committed for a writer. */
    public Optional<Long> lastSequence(String appId) {
        return latest().getLatestTransactionVersion(engine, appId);
    }

    /**
     * The last sequence committed for a writer at {@code version}, -1 for none: when the last commit here made that
     * version, read from its snapshot and kept for the commit that follows, which would otherwise replay the log for
     * the same writer again; else from that version loaded from the log (and not kept: the commit loads its own).
     */
    public long lastSequenceAt(String appId, long version) {
        synchronized (head) {
            if (head.at(version).isPresent()) {
                return head.lastSequence(engine, appId);
            }
        }
        return readable(TableManager.loadSnapshot(path).atVersion(version).build(engine))
                .getLatestTransactionVersion(engine, appId).orElse(-1L);
    }

    /**
     * The commit at or below {@code latestVersion} that set the key's writer to the key's sequence, read from the
     * commit files newest first; empty if no commit the log still keeps did.
     */
    public Optional<CommittedKey> findCommit(IdempotencyKey key, long latestVersion) {
        return new KeyLookup(HadoopStorage.of(storage), root).find(key, latestVersion);
    }

    /**
     * Commits the appends of several writers as one commit, as the table's single writer does: each writer's key
     * is recorded, keys already committed are skipped (their files left for vacuum: a copy of a write may carry the
     * very files its first delivery committed), and nothing is merged over a log that moved. If the table is not at
     * {@code expectedVersion} — another writer committed, as in a split brain or after an old owner's late commit —
     * nothing is written and {@link CommitConflictException} says so; the caller reloads and retries. A commit whose
     * log entry could not be written fails with {@link StorageUnavailableException}: the store may have it, so its
     * files must stay.
     */
    public GroupCommitResult appendGroup(List<PendingAppend> appends, long expectedVersion) {
        return appendGroup(appends, expectedVersion, Runnable::run);
    }

    /**
     * {@link #appendGroup(List, long)}, returning as soon as the commit is durable: its post-commit hooks (the
     * checksum, and every checkpoint interval a checkpoint and log cleanup, whose cost grows with the log) run on
     * {@code housekeeping}, so a writer's next commit does not wait for them. A hook that fails is logged; readers
     * only lose a shortcut (they replay a few more commits).
     */
    public GroupCommitResult appendGroup(List<PendingAppend> appends, long expectedVersion, Executor housekeeping) {
        synchronized (head) {
            Snapshot snapshot = head.at(expectedVersion).orElseGet(() -> writable(latest(appendHistory)));
            if (snapshot.getVersion() != expectedVersion) {
                throw new CommitConflictException("the log of " + root + " is at version " + snapshot.getVersion()
                        + ", not " + expectedVersion + ": another writer committed", null);
            }
            head.follow(snapshot);
            Map<String, Long> lastSequence = new HashMap<>();
            List<Boolean> applied = new ArrayList<>();
            List<NewDataFile> files = new ArrayList<>();
            for (PendingAppend append : appends) {
                boolean fresh = true;
                if (append.key().isPresent()) {
                    IdempotencyKey key = append.key().get();
                    long last = lastSequence.computeIfAbsent(key.appId(), id -> head.lastSequence(engine, id));
                    fresh = key.sequence() > last;
                    if (fresh) {
                        lastSequence.put(key.appId(), key.sequence());
                    }
                }
                applied.add(fresh);
                if (fresh) {
                    files.addAll(append.files());
                }
            }
            if (!applied.contains(true)) {
                return new GroupCommitResult(snapshot.getVersion(), applied);
            }
            StructType physical = DeltaSchemas.physical(snapshot.getSchema());
            long now = clock.millis();
            List<Row> actions = new ArrayList<>();
            files.forEach(file -> actions.add(KernelActions.add(physical, file, true)));
            Map<String, Long> committedKeys = new HashMap<>();
            List<PendingAppend> appliedAppends = new ArrayList<>();
            for (int i = 0; i < appends.size(); i++) {
                if (applied.get(i)) {
                    appends.get(i).key().ifPresent(key -> committedKeys.merge(key.appId(), key.sequence(), Math::max));
                    appliedAppends.add(appends.get(i));
                }
            }
            committedKeys.forEach((appId, sequence) -> actions.add(KernelActions.txn(appId, sequence, now)));
            CommitOperation append = CommitOperation.append(snapshot.getPartitionColumnNames(), appliedAppends);
            appendHistory.record(append, append.metrics(List.of(), files));
            TransactionCommitResult committed;
            try {
                Transaction txn = snapshot.buildUpdateTableTransaction(ENGINE_INFO, Operation.WRITE)
                        .withMaxRetries(0)
                        .build(engine);
                committed = txn.commit(engine, CloseableIterable.inMemoryIterable(toIterator(actions)));
            } catch (MaxCommitRetryLimitReachedException e) {
                head.forget();
                if (e.getCause() instanceof CommitFailedException failed && !failed.isConflict()) {
                    // Not a conflict: the store may have the log entry or not, so the caller must keep the files.
                    throw new StorageUnavailableException("writing version " + (expectedVersion + 1) + " of the log of " + root
                            + " failed; the commit may have happened", ioCause(failed));
                }
                throw conflict(expectedVersion, e);
            } catch (ConcurrentWriteException e) {
                head.forget();
                throw conflict(expectedVersion, e);
            } catch (RuntimeException e) {
                head.forget();
                throw e;
            }
            head.committed(committed, committedKeys);
            handOff(committed, housekeeping);
            return new GroupCommitResult(committed.getVersion(), applied);
        }
    }

    /**
     * The snapshot the table's writer commits on next, and the writers' last sequences in it: the version its last
     * commit made, which Kernel hands back without reading the log. The next commit then neither lists the log (a LIST
     * on S3) nor replays it for each writer's sequence, work that grows with the log since the last checkpoint. A
     * commit by someone else is still found: the log entry's name is taken, the put-if-absent fails, and the head is
     * forgotten.
     */
    private static final class Head {
        private Snapshot snapshot;
        private final Map<String, Long> sequences = new HashMap<>();

        Optional<Snapshot> at(long version) {
            return snapshot != null && snapshot.getVersion() == version ? Optional.of(snapshot) : Optional.empty();
        }

        void follow(Snapshot loaded) {
            if (loaded != snapshot) {
                snapshot = loaded;
                sequences.clear();
            }
        }

        long lastSequence(Engine engine, String appId) {
            Long known = sequences.get(appId);
            if (known != null) {
                return known;
            }
            long found = snapshot.getLatestTransactionVersion(engine, appId).orElse(-1L);
            sequences.put(appId, found);
            return found;
        }

        void committed(TransactionCommitResult result, Map<String, Long> committedKeys) {
            Optional<Snapshot> next = result.getPostCommitSnapshot();
            if (next.isEmpty()) {
                forget();
                return;
            }
            snapshot = next.get();
            sequences.putAll(committedKeys);
        }

        void forget() {
            snapshot = null;
            sequences.clear();
        }
    }

    private CommitConflictException conflict(long expectedVersion, RuntimeException cause) {
        return new CommitConflictException("the log of " + root + " moved past version " + expectedVersion
                + " during the commit: another writer committed", cause);
    }

    private static IOException ioCause(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof IOException io) {
                return io;
            }
        }
        return new IOException(failure);
    }

    /**
     * Replaces files in one commit, planned against {@code readVersion}. Fails with {@link CommitConflictException}
     * if a commit since then removed one of the same files or changed the schema; appends since then are kept.
     *
     * @param dataChange false for rewrites that keep every row (optimize), true when rows change (deletes)
     * @param operation what the rewrite does, recorded in the commit for the table's history
     */
    public CommitResult rewrite(long readVersion, Collection<DataFile> removes, List<NewDataFile> adds, boolean dataChange,
            CommitOperation operation) {
        if (removes.isEmpty() && adds.isEmpty()) {
            throw new IllegalArgumentException("nothing to commit");
        }
        HistoryCommitter history = new HistoryCommitter();
        history.record(operation, operation.metrics(removes, adds));
        Snapshot snapshot = writable(readable(TableManager.loadSnapshot(path).atVersion(readVersion).withCommitter(history).build(engine)));
        StructType physical = DeltaSchemas.physical(snapshot.getSchema());
        long now = clock.millis();
        List<Row> actions = new ArrayList<>();
        removes.forEach(file -> actions.add(KernelActions.remove(physical, file, dataChange, now)));
        adds.forEach(file -> actions.add(KernelActions.add(physical, file, dataChange)));
        try {
            Transaction txn = snapshot.buildUpdateTableTransaction(ENGINE_INFO, Operation.MANUAL_UPDATE).build(engine);
            return new CommitResult(finish(txn.commit(engine, CloseableIterable.inMemoryIterable(toIterator(actions)))), true);
        } catch (ConcurrentWriteException e) {
            throw new CommitConflictException("rewrite of " + root + " planned at version " + readVersion
                    + " conflicts with a later commit: " + e.getMessage(), e);
        }
    }

    /**
     * Adds nullable columns. The first evolution turns on column mapping (name mode); each new column, and each field
     * inside it, gets a fresh id and a physical name no other column has had.
     */
    public CommitResult addColumns(List<Field> columns) {
        Snapshot snapshot = writable(latest());
        TableSchema schema = schemaOf(snapshot);
        for (Field column : columns) {
            String path = "columns." + column.getName();
            if (!column.isNullable()) {
                throw new InvalidInputException(path, "added columns must be nullable: existing rows have no value");
            }
            if (SystemColumns.isReserved(column.getName().toLowerCase(Locale.ROOT))) {
                throw new InvalidInputException(path, "the prefix '" + SystemColumns.RESERVED_PREFIX + "' is reserved");
            }
            if (schema.columnNames().stream().anyMatch(name -> name.equalsIgnoreCase(column.getName()))) {
                throw new InvalidInputException(path, "a column of that name exists");
            }
            SupportedTypes.requireSupported(path, column);
        }
        if (!schema.columnMapping()) {
            Map<String, String> mapping = Map.of(TableProperties.COLUMN_MAPPING_MODE, "name");
            HistoryCommitter history = new HistoryCommitter();
            history.record(CommitOperation.setTableProperties(mapping), Map.of());
            Transaction enable = latest(history).buildUpdateTableTransaction(ENGINE_INFO, Operation.MANUAL_UPDATE)
                    .withTablePropertiesAdded(mapping)
                    .build(engine);
            commitMetadata(enable);
        }
        HistoryCommitter history = new HistoryCommitter();
        snapshot = latest(history);
        int[] nextId = {Integer.parseInt(snapshot.getTableProperties().getOrDefault(TableProperties.MAX_COLUMN_ID, "0")) + 1};
        StructType updated = snapshot.getSchema();
        List<Field> arrowFields = new ArrayList<>(schemaOf(snapshot).logical().getFields());
        List<StructField> added = new ArrayList<>();
        for (Field column : columns) {
            StructField field = DeltaSchemas.withNewColumnMapping(DeltaSchemas.toDelta(column), nextId);
            updated = updated.add(field);
            added.add(field);
            arrowFields.add(column);
        }
        history.record(CommitOperation.addColumns(DeltaSchemas.fieldsJson(added)), Map.of());
        UpdateTableTransactionBuilder builder = snapshot.buildUpdateTableTransaction(ENGINE_INFO, Operation.MANUAL_UPDATE)
                .withUpdatedSchema(updated)
                .withTablePropertiesAdded(Map.of(TableProperties.ARROW_SCHEMA, new Schema(arrowFields).toJson()));
        return new CommitResult(commitMetadata(builder.build(engine)), true);
    }

    /** The writer options and event-time column the table was created or last updated with. */
    public DatasetDefinition definition() {
        return definitionOf(latestMetadata());
    }

    /** The definition a snapshot records, without reading the log again. */
    public static DatasetDefinition definitionOf(TableSnapshot snapshot) {
        TableSchema schema = snapshot.schema();
        Map<String, String> properties = snapshot.properties();
        List<String> userPartitions = schema.partitionColumns().stream().filter(c -> !SystemColumns.isReserved(c)).toList();
        return new DatasetDefinition(schema.userSchema(), userPartitions, TableProperties.eventTimeColumn(properties),
                TableProperties.writerOptions(properties));
    }

    private long commitMetadata(Transaction txn) {
        try {
            return finish(txn.commit(engine, CloseableIterable.emptyIterable()));
        } catch (ConcurrentWriteException e) {
            throw new CommitConflictException("schema change of " + root + " conflicts: " + e.getMessage(), e);
        }
    }

    private synchronized void handOff(TransactionCommitResult committed, Executor executor) {
        if (committed.getPostCommitHooks().stream().anyMatch(hook -> hook.getType() == PostCommitHook.PostCommitHookType.CHECKPOINT)) {
            checkpointDue(committed.getVersion());
        }
        // After the previous one however it ended (a refused task, say): a failed run must not stop the later ones.
        housekeeping = housekeeping.exceptionally(failed -> null).thenRunAsync(() -> finish(committed), executor);
    }

    private synchronized void checkpointDue(long version) {
        newestCheckpointDue = Math.max(newestCheckpointDue, version);
    }

    /** Runs the hooks Kernel leaves to the writer. The commit is durable already: a failed hook is only logged. */
    private long finish(TransactionCommitResult result) {
        for (PostCommitHook hook : result.getPostCommitHooks()) {
            if (hook.getType() == PostCommitHook.PostCommitHookType.CHECKPOINT) {
                if (result.getVersion() < newestCheckpointDue) {
                    // A later version's checkpoint is queued behind this one (or was written by a maintenance
                    // commit, whose hooks run in its thread) and replaces it. A checkpoint rewrites every file of the
                    // table (100,000 files: 6-13 s here) and is due every interval: on a busy large table, writing
                    // each would leave the hooks further behind every interval, and readers replaying more.
                    continue;
                }
                // An append's older checkpoint still queued must not set _last_checkpoint back after this one.
                checkpointDue(result.getVersion());
            }
            try {
                hook.threadSafeInvoke(engine);
                if (hook.getType() == PostCommitHook.PostCommitHookType.CHECKPOINT) {
                    Map<String, String> properties = result.getPostCommitSnapshot()
                            .map(Snapshot::getTableProperties).orElse(Map.of());
                    KernelActions.cleanupExpiredLogs(engine, clock, path, TableProperties.logRetention(properties).toMillis());
                    deleteOrphanedChecksums();
                }
            } catch (IOException | RuntimeException e) {
                log.warn("post-commit hook {} failed for {} at version {}", hook.getType(), root, result.getVersion(), e);
            }
        }
        return result.getVersion();
    }

    /**
     * Kernel's log cleanup deletes expired commits but leaves their checksum files, which would pile up in every
     * listing of the log (on S3, a paged LIST per snapshot load). A checksum older than the oldest commit left
     * describes a version no reader can load.
     */
    private void deleteOrphanedChecksums() throws IOException {
        List<FileStatus> entries = HadoopStorage.of(storage).listStatuses(root.resolve("_delta_log/"));
        long oldestCommit = Long.MAX_VALUE;
        for (FileStatus entry : entries) {
            Matcher commit = LOG_ENTRY.matcher(entry.getPath().getName());
            if (commit.matches() && commit.group(2).equals("json")) {
                oldestCommit = Math.min(oldestCommit, Long.parseLong(commit.group(1)));
            }
        }
        for (FileStatus entry : entries) {
            Matcher checksum = LOG_ENTRY.matcher(entry.getPath().getName());
            if (checksum.matches() && checksum.group(2).equals("crc") && Long.parseLong(checksum.group(1)) < oldestCommit) {
                HadoopStorage.of(storage).delete(entry.getPath().toUri());
            }
        }
    }

    private Snapshot latest() {
        return latest(new HistoryCommitter());
    }

    /** The latest snapshot, whose transactions commit through {@code history}. */
    private Snapshot latest(HistoryCommitter history) {
        try {
            return readable(TableManager.loadSnapshot(path).withCommitter(history).build(engine));
        } catch (TableNotFoundException e) {
            throw new TableMissingException("no table at " + root, e);
        }
    }

    /**
     * Refuses a version whose protocol needs a reader feature Lakeshard does not implement: Kernel loads a table with
     * widened column types, say, and leaves reading old files as the new types to the reader. Every read, write and
     * maintenance run loads its snapshot through here.
     */
    private Snapshot readable(Snapshot snapshot) {
        Set<String> missing = new TreeSet<>(KernelActions.readerFeatures(snapshot));
        missing.removeAll(READER_FEATURES);
        if (!missing.isEmpty()) {
            throw new UnsupportedTableFeatureException("the table's Delta protocol at version " + snapshot.getVersion()
                    + " needs the reader feature" + (missing.size() == 1 ? " " : "s ") + String.join(", ", missing)
                    + ", which Lakeshard does not implement; it cannot be read, written or maintained here", missing);
        }
        return snapshot;
    }

    /** Refuses a commit to a version whose protocol Lakeshard does not write correctly; every commit checks here. */
    private static Snapshot writable(Snapshot snapshot) {
        WriteSupport.refusal(snapshot).ifPresent(reason -> {
            throw new ReadOnlyTableException(reason);
        });
        return snapshot;
    }

    private TableSnapshot toSnapshot(Snapshot snapshot) {
        TableSchema schema = schemaOf(snapshot);
        FileStats.Reader stats = statsReader(schema);
        // The statistics JSON is half of a cold load (two bounds a column a file) and Kernel's reading of the file
        // list the other half, on one thread: a large table's chunks are parsed on the other cores meanwhile.
        List<CompletableFuture<List<DataFile>>> parsed = new ArrayList<>();
        List<KernelActions.AddedFile> chunk = new ArrayList<>();
        try (CloseableIterator<FilteredColumnarBatch> batches = snapshot.getScanBuilder().build().getScanFiles(engine, true)) {
            while (batches.hasNext()) {
                try (CloseableIterator<Row> rows = batches.next().getRows()) {
                    while (rows.hasNext()) {
                        Row row = rows.next();
                        chunk.add(KernelActions.readAdd(row.getStruct(row.getSchema().indexOf("add"))));
                        if (chunk.size() == PARSE_CHUNK_FILES) {
                            List<KernelActions.AddedFile> full = chunk;
                            // The pool itself, not CompletableFuture's default, which on one or two cores
                            // starts a thread a task.
                            parsed.add(CompletableFuture.supplyAsync(() -> dataFiles(full, stats), ForkJoinPool.commonPool()));
                            chunk = new ArrayList<>();
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new StorageUnavailableException("reading the file list of " + root, e);
        }
        List<DataFile> files = new ArrayList<>(parsed.size() * PARSE_CHUNK_FILES + chunk.size());
        List<DataFile> last = dataFiles(chunk, stats);
        for (CompletableFuture<List<DataFile>> part : parsed) {
            try {
                files.addAll(part.join());
            } catch (CompletionException e) {
                // A malformed file's statistics, say: the same failure as when parsed on this thread, and where.
                if (e.getCause() instanceof RuntimeException cause) {
                    cause.addSuppressed(new IllegalStateException("parsed on a pool thread for the load of " + root));
                    throw cause;
                }
                throw e;
            }
        }
        files.addAll(last);
        return new TableSnapshot(root, snapshot.getVersion(), snapshot.getTimestamp(engine), schema,
                snapshot.getTableProperties(), WriteSupport.refusal(snapshot), FileSet.of(files));
    }

    private static List<DataFile> dataFiles(List<KernelActions.AddedFile> adds, FileStats.Reader stats) {
        List<DataFile> files = new ArrayList<>(adds.size());
        for (KernelActions.AddedFile add : adds) {
            files.add(dataFile(add, stats));
        }
        return files;
    }

    static TableSchema schemaOf(Snapshot snapshot) {
        Map<String, String> properties = snapshot.getTableProperties();
        boolean columnMapping = !"none".equals(properties.getOrDefault(TableProperties.COLUMN_MAPPING_MODE, "none"));
        return DeltaSchemas.tableSchema(snapshot.getSchema(), snapshot.getPartitionColumnNames(), columnMapping,
                TableProperties.arrowSchema(properties));
    }

    /** The log keys each file's statistics by the columns' physical names. */
    private static FileStats.Reader statsReader(TableSchema schema) {
        Map<String, String> physicalNames = new HashMap<>();
        schema.columnNames().forEach(name -> physicalNames.put(name, schema.physicalName(name)));
        return FileStats.reader(schema.logical(), physicalNames);
    }

    private static DataFile dataFile(KernelActions.AddedFile add, FileStats.Reader stats) {
        return new DataFile(add.path(), add.partitionValues(), add.size(), add.modificationTime(), add.statsJson(),
                stats.parse(add.statsJson()), add.deletionVector());
    }

    private static <T> CloseableIterator<T> toIterator(List<T> items) {
        var it = items.iterator();
        return new CloseableIterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public T next() {
                return it.next();
            }

            @Override
            public void close() {}
        };
    }
}
