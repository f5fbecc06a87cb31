package io.lakeshard.service.traces;

import static java.util.Objects.requireNonNull;

import io.lakeshard.service.Principal;
import io.lakeshard.service.ingest.WriteRequest;
import io.lakeshard.service.ingest.WriteResult;
import io.lakeshard.storage.dataset.DatasetName;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.VectorSchemaRootAppender;

/**
 * Natural batching of OTLP exports per tenant dataset: at most {@code maxInFlight} writes run at a time; exports that
 * arrive meanwhile wait, and go together as one write when one finishes. An idle dataset's export is written at once
 * (no timer, no added latency); under load, many exporters' batches of a few hundred spans become one file of
 * thousands, instead of one small file each, which is what the bytes on disk, trace lookups and optimize pay for.
 * The exports of a write share its outcome: each is acknowledged once the write commits, and all fail if it fails (an
 * exporter retries; exports are unkeyed, and trace queries keep each span once).
 */
final class ExportBatcher {
    private final Writes writes;
    private final BufferAllocator allocator;
    private final int maxInFlight;
    private final long maxRows;
    private final long maxBytes;
    private final Map<Key, Lane> lanes = new ConcurrentHashMap<>();

    /** Where the batches go: the ingest use case ({@code Ingest::write}); the batcher's tests hold its writes. */
    @FunctionalInterface
    interface Writes {
        CompletionStage<WriteResult> write(Principal principal, WriteRequest request, VectorSchemaRoot batch);
    }

    private record Key(String tenant, DatasetName dataset) {}

    private record Pending(Principal principal, VectorSchemaRoot spans, long encodedBytes, CompletableFuture<WriteResult> done) {}

    private static final class Lane {
        int inFlight;
        final Deque<Pending> waiting = new ArrayDeque<>();
    }

    /**
     * @param maxRows the most spans one write carries (an export larger than this goes alone)
     * @param maxBytes the most encoded bytes one write carries, as the ingest's limit counts them
     */
    ExportBatcher(Writes writes, BufferAllocator allocator, int maxInFlight, long maxRows, long maxBytes) {
        this.writes = requireNonNull(writes, "writes is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
        if (maxInFlight < 1 || maxRows < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("limits must be positive");
        }
        this.maxInFlight = maxInFlight;
        this.maxRows = maxRows;
        this.maxBytes = maxBytes;
    }

    /** Writes the spans (and closes them) alone or with other exports to the same dataset. */
    CompletionStage<WriteResult> write(Principal principal, DatasetName dataset, VectorSchemaRoot spans, long encodedBytes) {
        Pending pending = new Pending(principal, spans, encodedBytes, new CompletableFuture<>());
        Key key = new Key(principal.tenant(), dataset);
        Lane lane = lanes.computeIfAbsent(key, k -> new Lane());
        boolean start;
        synchronized (lane) {
            start = lane.inFlight < maxInFlight;
            if (start) {
                lane.inFlight++;
            } else {
                lane.waiting.add(pending);
            }
        }
        if (start) {
            run(key, lane, List.of(pending));
        }
        return pending.done();
    }

    private void run(Key key, Lane lane, List<Pending> group) {
        CompletionStage<WriteResult> write;
        try {
            write = writes.write(group.get(0).principal(), WriteRequest.unkeyed(key.dataset(),
                    group.stream().mapToLong(Pending::encodedBytes).sum()), merged(group));
        } catch (RuntimeException e) {
            write = CompletableFuture.failedFuture(e);
        }
        write.whenComplete((result, error) -> {
            for (Pending pending : group) {
                if (error != null) {
                    pending.done().completeExceptionally(error);
                } else {
                    pending.done().complete(result);
                }
            }
            List<Pending> next;
            synchronized (lane) {
                next = take(lane);
                if (next.isEmpty()) {
                    lane.inFlight--;
                }
            }
            if (!next.isEmpty()) {
                run(key, lane, next);
            }
        });
    }

    /** The waiting exports, oldest first, up to the limits (at least one). */
    private List<Pending> take(Lane lane) {
        List<Pending> group = new ArrayList<>();
        long rows = 0;
        long bytes = 0;
        while (!lane.waiting.isEmpty()) {
            Pending next = lane.waiting.peek();
            long nextRows = next.spans().getRowCount();
            if (!group.isEmpty() && (rows + nextRows > maxRows || bytes + next.encodedBytes() > maxBytes)) {
                break;
            }
            group.add(lane.waiting.poll());
            rows += nextRows;
            bytes += next.encodedBytes();
        }
        return group;
    }

    /** One batch of the group's spans; the group's own batches are closed. */
    private VectorSchemaRoot merged(List<Pending> group) {
        if (group.size() == 1) {
            return group.get(0).spans();
        }
        VectorSchemaRoot all = VectorSchemaRoot.create(group.get(0).spans().getSchema(), allocator);
        try {
            all.allocateNew();
            all.setRowCount(0);
            for (Pending pending : group) {
                VectorSchemaRootAppender.append(all, pending.spans());
            }
            return all;
        } catch (RuntimeException e) {
            all.close();
            throw e;
        } finally {
            group.forEach(pending -> pending.spans().close());
        }
    }
}
