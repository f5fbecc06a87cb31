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
import java.time.Instant;
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

    public GroupWriter(BufferAllocator allocator) {
        this.allocator = requireNonNull(allocator, "allocator is null");
    }

    /** The table's version after the commit, and one reply per write in order. */
    public record Committed(long version, List<WriteReply> replies) {}

    BufferAllocator allocator() {
        return allocator;
    }

    void forget(TableRef ref) {
        sequences.remove(ref);
    }

    Committed commit(TableRef ref, DeltaTable table, List<Write> writes, long expectedVersion) {
        Sequences known = sequences.computeIfAbsent(ref, r -> new Sequences());
        Map<String, Long> inThisCommit = new HashMap<>();
        WriteReply[] replies = new WriteReply[writes.size()];
        boolean[] replay = new boolean[writes.size()];
        Map<Integer, VectorSchemaRoot> inline = new LinkedHashMap<>();
        List<NewDataFile> written = new ArrayList<>();
        try {
            BatchWriter batchWriter = null;
            for (int i = 0; i < writes.size(); i++) {
                Write write = writes.get(i);
                IdempotencyKey key = write.key();
                long committed = known.last.computeIfAbsent(key.appId(), id -> table.lastSequence(id).orElse(-1L));
                long last = Math.max(inThisCommit.getOrDefault(key.appId(), -1L), committed);
                if (key.sequence() <= last) {
                    if (key.sequence() == committed || known.recent.containsKey(key)) {
                        replay[i] = true;
                    } else {
                        replies[i] = new WriteRejected(false, "idempotency_key.sequence", "sequence " + key.sequence()
                                + " of writer '" + key.appId() + "' is below its last sequence " + last
                                + "; keep one write in flight per app id (use several app ids for concurrency)");
                    }
                    table.discard(write.files());
                    continue;
                }
                if (write.arrowIpc() != null) {
                    if (batchWriter == null) {
                        batchWriter = batchWriter(table);
                    }
                    try {
                        VectorSchemaRoot batch = decode(write.arrowIpc());
                        inline.put(i, batch);
                        batchWriter.validate(batch);
                    } catch (InvalidInputException e) {
                        replies[i] = new WriteRejected(false, e.field(), e.getMessage());
                        inline.remove(i).close();
                        continue;
                    } catch (IOException e) {
                        replies[i] = new WriteRejected(false, "batch", "not an Arrow IPC stream: " + e.getMessage());
                        continue;
                    }
                }
                inThisCommit.put(key.appId(), key.sequence());
            }
            Map<Integer, List<NewDataFile>> coalesced = coalesce(inline, batchWriter);
            coalesced.values().forEach(written::addAll);
            List<PendingAppend> appends = new ArrayList<>();
            List<Integer> appendIndex = new ArrayList<>();
            for (int i = 0; i < writes.size(); i++) {
                if (replay[i] || replies[i] != null) {
                    continue;
                }
                Write write = writes.get(i);
                List<NewDataFile> files = write.arrowIpc() != null ? coalesced.getOrDefault(i, List.of()) : write.files();
                appends.add(new PendingAppend(files, write.key()));
                appendIndex.add(i);
            }
            long version = expectedVersion;
            if (!appends.isEmpty()) {
                GroupCommitResult result = table.appendGroup(appends, expectedVersion);
                version = result.version();
                for (int a = 0; a < appends.size(); a++) {
                    int i = appendIndex.get(a);
                    replies[i] = new WriteAck(version, result.applied().get(a), writes.get(i).rows());
                }
                known.last.putAll(inThisCommit);
                for (int a = 0; a < appends.size(); a++) {
                    known.recent.put(appends.get(a).key(), Boolean.TRUE);
                }
            }
            for (int i = 0; i < writes.size(); i++) {
                if (replay[i]) {
                    replies[i] = new WriteAck(version, false, writes.get(i).rows());
                }
            }
            return new Committed(version, List.of(replies));
        } catch (RuntimeException e) {
            table.discard(written);
            sequences.remove(ref);
            throw e;
        } finally {
            inline.values().forEach(VectorSchemaRoot::close);
        }
    }

    /**
     * Small batches with the same schema become one batch, written as one file per partition; the files are
     * committed under the first of them, the rest add only their keys.
     */
    private static Map<Integer, List<NewDataFile>> coalesce(Map<Integer, VectorSchemaRoot> inline, BatchWriter writer) {
        Map<Schema, List<Integer>> bySchema = new LinkedHashMap<>();
        inline.forEach((index, batch) -> bySchema.computeIfAbsent(batch.getSchema(), s -> new ArrayList<>()).add(index));
        Map<Integer, List<NewDataFile>> files = new HashMap<>();
        for (List<Integer> group : bySchema.values()) {
            VectorSchemaRoot first = inline.get(group.get(0));
            for (int g = 1; g < group.size(); g++) {
                VectorSchemaRootAppender.append(first, inline.get(group.get(g)));
            }
            files.put(group.get(0), writer.write(first, UUID.randomUUID().toString(), Instant.now()));
        }
        return files;
    }

    private BatchWriter batchWriter(DeltaTable table) {
        TableSnapshot metadata = table.latestMetadata();
        return BatchWriter.forDefinition(table.storage(), table.root(), metadata.schema(), DeltaTable.definitionOf(metadata), allocator);
    }

    private VectorSchemaRoot decode(byte[] ipc) throws IOException {
        return ArrowStreams.readAll(new ByteArrayInputStream(ipc), allocator);
    }
}
