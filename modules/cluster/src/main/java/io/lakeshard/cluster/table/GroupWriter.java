package io.lakeshard.cluster.table;

import static java.util.Objects.requireNonNull;

import io.lakeshard.arrow.ArrowStreams;
import io.lakeshard.cluster.table.TableEntity.Write;
import io.lakeshard.cluster.table.TableEntity.WriteAck;
import io.lakeshard.cluster.table.TableEntity.WriteRejected;
import io.lakeshard.cluster.table.TableEntity.WriteReply;
import io.lakeshard.storage.dataset.InvalidInputException;
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
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
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
    private static final int RECENT_KEYS = 10_000;

    private final BufferAllocator allocator;
    private final Clock clock;
    // Per table: the last committed sequence per writer, and the keys committed recently. Only the table's entity
    // commits, one commit at a time, so this stays exact until the entity reloads and forgets it.
    private final Map<TableRef, Sequences> sequences = new ConcurrentHashMap<>();

    /**
     * Delta records only each writer's highest sequence. A key at that mark, or one this writer committed recently,
     * is a retry; any other key below it means the writer had several writes in flight, which the mark cannot tell
     * apart from retries, so it is refused rather than dropped as a duplicate.
     */
    private static final class Sequences {
        final Map<String, Long> last = new HashMap<>();
        final Map<IdempotencyKey, Boolean> recent = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<IdempotencyKey, Boolean> eldest) {
                return size() > RECENT_KEYS;
            }
        };
    }

    public GroupWriter(BufferAllocator allocator, Clock clock) {
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** The table's version after the commit, and one reply per write in order. */
    public record Committed(long version, List<WriteReply> replies) {}

    BufferAllocator allocator() {
        return allocator;
    }

    void forget(TableRef ref) {
        sequences.remove(ref);
    }

    /** What becomes of one write in a group commit. */
    private enum Outcome {
        /** Its files go into the commit under its key. */
        COMMIT,
        /** Its key is already committed: acknowledged, not applied. */
        REPLAY,
        /** Refused before the commit; its reply says why. */
        REJECTED
    }

    /** One write on its way through a group commit: its files, its outcome, and its reply once known. */
    private static final class Entry implements AutoCloseable {
        final Write write;
        Outcome outcome = Outcome.COMMIT;
        WriteReply reply;
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
        Sequences known = sequences.computeIfAbsent(ref, r -> new Sequences());
        List<Entry> entries = writes.stream().map(Entry::new).toList();
        List<NewDataFile> written = new ArrayList<>();
        try {
            BatchWriter inlineWriter = writes.stream().anyMatch(write -> write.arrowIpc() != null) ? batchWriter(table) : null;
            Map<String, Long> inThisCommit = sortOut(entries, known, table, inlineWriter);
            written.addAll(writeInline(entries, inlineWriter));
            List<Entry> committing = entries.stream().filter(entry -> entry.outcome == Outcome.COMMIT).toList();
            long version = expectedVersion;
            if (!committing.isEmpty()) {
                GroupCommitResult result = table.appendGroup(committing.stream()
                        .map(entry -> new PendingAppend(entry.files, entry.write.key())).toList(), expectedVersion);
                version = result.version();
                for (int i = 0; i < committing.size(); i++) {
                    Entry entry = committing.get(i);
                    entry.reply = new WriteAck(version, result.applied().get(i), entry.write.rows());
                    known.recent.put(entry.write.key(), Boolean.TRUE);
                }
                known.last.putAll(inThisCommit);
            }
            for (Entry entry : entries) {
                if (entry.outcome == Outcome.REPLAY) {
                    entry.reply = new WriteAck(version, false, entry.write.rows());
                }
            }
            return new Committed(version, entries.stream().map(entry -> entry.reply).toList());
        } catch (RuntimeException e) {
            table.discard(written);
            sequences.remove(ref);
            throw e;
        } finally {
            entries.forEach(Entry::close);
        }
    }

    /**
     * Marks retries and refused sequences (deleting any files they brought), and decodes and validates the inline
     * batches. Returns the highest sequence per app id that this commit will record.
     */
    private Map<String, Long> sortOut(List<Entry> entries, Sequences known, DeltaTable table, BatchWriter inlineWriter) {
        Map<String, Long> inThisCommit = new HashMap<>();
        for (Entry entry : entries) {
            Write write = entry.write;
            IdempotencyKey key = write.key();
            long committed = known.last.computeIfAbsent(key.appId(), id -> table.lastSequence(id).orElse(-1L));
            long last = Math.max(inThisCommit.getOrDefault(key.appId(), -1L), committed);
            if (key.sequence() <= last) {
                if (key.sequence() == committed || known.recent.containsKey(key)) {
                    entry.outcome = Outcome.REPLAY;
                } else {
                    entry.reject(new WriteRejected(false, "idempotency_key.sequence", "sequence " + key.sequence()
                            + " of writer '" + key.appId() + "' is below its last sequence " + last
                            + "; keep one write in flight per app id (use several app ids for concurrency)"));
                }
                table.discard(write.files());
                continue;
            }
            if (write.arrowIpc() == null) {
                entry.files = write.files();
            } else {
                try {
                    entry.batch = decode(write.arrowIpc());
                    inlineWriter.validate(entry.batch);
                } catch (InvalidInputException e) {
                    entry.reject(new WriteRejected(false, e.field(), e.getMessage()));
                    continue;
                } catch (IOException e) {
                    entry.reject(new WriteRejected(false, "batch", "not an Arrow IPC stream: " + e.getMessage()));
                    continue;
                }
            }
            inThisCommit.put(key.appId(), key.sequence());
        }
        return inThisCommit;
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

    private BatchWriter batchWriter(DeltaTable table) {
        TableSnapshot metadata = table.latestMetadata();
        return BatchWriter.forDefinition(table.storage(), table.root(), metadata.schema(), DeltaTable.definitionOf(metadata), allocator);
    }

    private VectorSchemaRoot decode(byte[] ipc) throws IOException {
        return ArrowStreams.readAll(new ByteArrayInputStream(ipc), allocator);
    }
}
