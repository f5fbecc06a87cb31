package io.lakeshard.cluster.table;

import static java.util.Objects.requireNonNull;

import io.lakeshard.arrow.ArrowStreams;
import io.lakeshard.cluster.table.TableEntity.Write;
import io.lakeshard.cluster.table.TableEntity.WriteAck;
import io.lakeshard.cluster.table.TableEntity.WriteRejected;
import io.lakeshard.cluster.table.TableEntity.WriteReply;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.table.CommittedKey;
import io.lakeshard.storage.table.CommitConflictException;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.GroupCommitResult;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.PendingAppend;
import io.lakeshard.storage.table.TableSnapshot;
import io.lakeshard.storage.write.BatchWriter;
import io.lakeshard.storage.write.NewDataFile;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.VectorSchemaRootAppender;

/**
 * The blocking half of a table entity's group commit, run off the actor thread: decodes and validates inline
 * batches, drops retries, coalesces the small batches into one file per partition, and commits everything with every
 * writer's key in one commit at the entity's expected version. Returns one reply per write.
 */
public final class GroupWriter {
    private static final int WRITERS_REMEMBERED = 10_000;

    private final BufferAllocator allocator;
    private final Clock clock;
    private final Executor housekeeping;
    private final Map<TableRef, Writers> writers = new ConcurrentHashMap<>();

    /**
     * What a table's writer knows of the writer ids that wrote to it: each one's highest committed sequence, and the
     * commit that applied it. Delta's {@code txn} keeps only the highest sequence, so that key is the one a retry can
     * be recognised by, from the log, on any node after any restart; any other key below it means the client had
     * several writes in flight, which the mark cannot tell apart from retries, so it is refused rather than dropped
     * as a duplicate. Everything here was read from the log or just written to it, so forgetting it (a reload, an
     * eviction) changes no answer. Only the table's entity commits, one commit at a time.
     */
    private static final class Writers {
        /** Each writer's highest committed sequence; -1 for none. */
        final Map<String, Long> last = remembered();
        /** The commit that applied each writer's highest sequence, once made here or found in the log. */
        final Map<String, CommittedKey> lastCommit = remembered();

        private static <V> Map<String, V> remembered() {
            return new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                    return size() > WRITERS_REMEMBERED;
                }
            };
        }
    }

    /**
     * @param housekeeping where a commit's post-commit hooks run (checksum; every checkpoint interval a checkpoint and
     *     log cleanup), so the writers waiting on a commit are answered without waiting for them
     */
    public GroupWriter(BufferAllocator allocator, Clock clock, Executor housekeeping) {
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.housekeeping = requireNonNull(housekeeping, "housekeeping is null");
    }

    /** The table's version after the commit, and one reply per write in order. */
    public record Committed(long version, List<WriteReply> replies) {}

    BufferAllocator allocator() {
        return allocator;
    }

    void forget(TableRef ref) {
        writers.remove(ref);
    }

    /** What becomes of one write in a group commit. */
    private enum Outcome {
        /** Its files go into the commit under its key. */
        COMMIT,
        /** Its key is already committed: acknowledged as that commit, not applied. */
        REPLAY,
        /** Its key is in this commit already, from an earlier copy: acknowledged as that copy, not applied. */
        COPY,
        /** Refused before the commit; its reply says why. */
        REJECTED
    }

    /** One write on its way through a group commit: its files, its outcome, and its reply once known. */
    private static final class Entry implements AutoCloseable {
        final Write write;
        Outcome outcome = Outcome.COMMIT;
        WriteReply reply;
        /** For a {@link Outcome#COPY}: the write of the same key that commits. */
        Entry original;
        /** An inline batch, decoded and valid, until it is written. */
        VectorSchemaRoot batch;
        /** What it commits: its own files (bulk), or the file of the inline batches coalesced under it. */
        List<NewDataFile> files = List.of();

        Entry(Write write) {
            this.write = write;
        }

        void reject(WriteRejected rejection) {
            outcome = Outcome.REJECTED;
            reply = rejection;
            close();
        }

        @Override
        public void close() {
            if (batch != null) {
                batch.close();
                batch = null;
            }
        }
    }

    /**
     * One group commit: sort out the retries and refused writes, write the inline batches as coalesced files, then
     * commit every remaining write's files and key at {@code expectedVersion} in one Delta commit.
     */
    Committed commit(TableRef ref, DeltaTable table, List<Write> writes, long expectedVersion) {
        Writers known = writers.computeIfAbsent(ref, r -> new Writers());
        List<Entry> entries = writes.stream().map(Entry::new).toList();
        List<NewDataFile> written = new ArrayList<>();
        boolean attempted = false;
        try {
            BatchWriter inlineWriter = writes.stream().anyMatch(write -> write.arrowIpc() != null) ? batchWriter(table, expectedVersion) : null;
            sortOut(entries, known, table, inlineWriter, expectedVersion);
            written.addAll(writeInline(entries, inlineWriter));
            List<Entry> committing = entries.stream().filter(entry -> entry.outcome == Outcome.COMMIT).toList();
            long version = expectedVersion;
            if (!committing.isEmpty()) {
                attempted = true;
                GroupCommitResult result = table.appendGroup(committing.stream()
                        .map(entry -> new PendingAppend(entry.files, entry.write.key(), entry.write.rows())).toList(), expectedVersion,
                        housekeeping);
                version = result.version();
                for (int i = 0; i < committing.size(); i++) {
                    Entry entry = committing.get(i);
                    entry.reply = new WriteAck(version, result.applied().get(i), entry.write.rows());
                    if (entry.write.key().isEmpty()) {
                        continue;
                    }
                    IdempotencyKey key = entry.write.key().get();
                    if (key.sequence() > known.last.getOrDefault(key.appId(), -1L)) {
                        known.last.put(key.appId(), key.sequence());
                        known.lastCommit.put(key.appId(), new CommittedKey(key, version, OptionalLong.of(entry.write.rows())));
                    }
                }
            }
            for (Entry entry : entries) {
                if (entry.outcome == Outcome.COPY) {
                    entry.reply = new WriteAck(version, false, entry.original.write.rows());
                }
            }
            return new Committed(version, entries.stream().map(entry -> entry.reply).toList());
        } catch (RuntimeException e) {
            // Once the commit was tried, only a conflict says it did not happen: otherwise the log may reference the
            // files (the store wrote the entry and its answer was lost), and deleting them would lose acknowledged
            // rows. Files that were never committed are orphans for vacuum.
            if (!attempted || e instanceof CommitConflictException) {
                table.discard(written);
            }
            writers.remove(ref);
            throw e;
        } finally {
            entries.forEach(Entry::close);
        }
    }

    /**
     * Answers the retries (leaving any files they brought), refuses keys below their writer's last sequence, and
     * decodes and validates the inline batches. A key twice in this commit commits once: the later copies are
     * answered as the first, whatever they carry.
     */
    private void sortOut(List<Entry> entries, Writers known, DeltaTable table, BatchWriter inlineWriter, long latestVersion) {
        Map<String, Long> inThisCommit = new HashMap<>();
        Map<IdempotencyKey, Entry> firstCopies = new HashMap<>();
        for (Entry entry : entries) {
            Write write = entry.write;
            if (write.key().isEmpty()) {
                // Unkeyed: nothing to recognise a retry by, so it commits.
                entry.files = write.files();
                decodeInline(entry, inlineWriter);
                continue;
            }
            IdempotencyKey key = write.key().get();
            Entry original = firstCopies.get(key);
            long committed = known.last.computeIfAbsent(key.appId(), id -> table.lastSequenceAt(id, latestVersion));
            long last = Math.max(inThisCommit.getOrDefault(key.appId(), -1L), committed);
            if (original != null) {
                entry.outcome = Outcome.COPY;
                entry.original = original;
            } else if (key.sequence() == committed) {
                entry.outcome = Outcome.REPLAY;
                entry.reply = replay(known, table, write, latestVersion);
            } else if (key.sequence() <= last) {
                entry.reject(new WriteRejected(false, "idempotency_key.sequence", "sequence " + key.sequence()
                        + " of writer '" + key.appId() + "' is below its last sequence " + last
                        + "; keep one write in flight per app id (use several app ids for concurrency)"));
            }
            if (entry.outcome != Outcome.COMMIT) {
                // Its files stay, for vacuum: a copy of a bulk write (sent again while a member was lost) carries the
                // very files its first delivery committed, and deleting them would lose acknowledged rows.
                continue;
            }
            entry.files = write.files();
            if (decodeInline(entry, inlineWriter)) {
                firstCopies.put(key, entry);
                inThisCommit.put(key.appId(), key.sequence());
            }
        }
    }

    /** Decodes and validates an inline batch; false (and the entry refused) if it is not a valid batch. */
    private boolean decodeInline(Entry entry, BatchWriter inlineWriter) {
        if (entry.write.arrowIpc() == null) {
            return true;
        }
        try {
            entry.batch = decode(entry.write.arrowIpc());
            inlineWriter.validate(entry.batch);
            return true;
        } catch (InvalidInputException e) {
            entry.reject(new WriteRejected(false, e.field(), e.getMessage()));
        } catch (IOException e) {
            entry.reject(new WriteRejected(false, "batch", "not an Arrow IPC stream: " + e.getMessage()));
        }
        return false;
    }

    /**
     * The answer to a retry of a writer's last key: the version that committed it and the rows it committed, found
     * in the log unless this writer made or found that commit already. A key whose commit the log no longer keeps
     * (past its retention) is still a replay, answered with the current version and the rows it carries.
     */
    private static WriteAck replay(Writers known, DeltaTable table, Write write, long latestVersion) {
        IdempotencyKey key = write.key().orElseThrow();
        CommittedKey commit = known.lastCommit.get(key.appId());
        if (commit == null || !commit.key().equals(key)) {
            Optional<CommittedKey> found = table.findCommit(key, latestVersion);
            if (found.isEmpty()) {
                return new WriteAck(latestVersion, false, write.rows());
            }
            commit = found.get();
            known.lastCommit.put(key.appId(), commit);
        }
        return new WriteAck(commit.version(), false, commit.rows().orElse(write.rows()));
    }

    /**
     * Small batches with the same schema become one batch, written as one file per partition; the files are
     * committed under the first of them, the rest add only their keys. Returns every file written.
     */
    private List<NewDataFile> writeInline(List<Entry> entries, BatchWriter inlineWriter) {
        Map<Schema, List<Entry>> bySchema = new LinkedHashMap<>();
        entries.stream().filter(entry -> entry.batch != null)
                .forEach(entry -> bySchema.computeIfAbsent(entry.batch.getSchema(), s -> new ArrayList<>()).add(entry));
        List<NewDataFile> written = new ArrayList<>();
        for (List<Entry> group : bySchema.values()) {
            VectorSchemaRoot first = group.get(0).batch;
            for (int i = 1; i < group.size(); i++) {
                VectorSchemaRootAppender.append(first, group.get(i).batch);
            }
            group.get(0).files = inlineWriter.write(first, UUID.randomUUID().toString(), clock.instant());
            written.addAll(group.get(0).files);
        }
        return written;
    }

    private BatchWriter batchWriter(DeltaTable table, long version) {
        TableSnapshot metadata = table.metadataAt(version);
        return BatchWriter.forDefinition(table.storage(), table.root(), metadata.schema(), DeltaTable.definitionOf(metadata), allocator);
    }

    private VectorSchemaRoot decode(byte[] ipc) throws IOException {
        return ArrowStreams.readAll(new ByteArrayInputStream(ipc), allocator);
    }
}
