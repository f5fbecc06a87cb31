package io.lakeshard.client;

import static java.util.Objects.requireNonNull;

import io.lakeshard.api.v1.IdempotencyKey;
import io.lakeshard.api.v1.WriteRequest;
import io.lakeshard.api.v1.WriteResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.VectorSchemaRootAppender;

/**
 * Collects rows and writes them in batches: when a batch reaches its row count or byte size, or has waited long
 * enough. A batch gets its key (this writer's own app id and the next sequence) when it is cut, and keeps it: it is
 * sent under that key, one batch in flight, until it is acknowledged, so every appended row is committed once.
 *
 * <p>When the writer gives up on a batch it throws {@link UnacknowledgedWriteException}, naming the batch's key and
 * rows. If the failure is retryable the writer keeps the batch, and the rows cut after it, and the next
 * {@link #append}, {@link #flush} or {@link #close} sends it again under the same key (the server answers a replay
 * if an earlier attempt had committed it); otherwise the server refused the batch and the writer drops it.
 * {@link #close} gives up on whatever it cannot send.
 */
public final class BatchingWriter implements AutoCloseable {
    private final LakeshardClient client;
    private final String dataset;
    private final Settings settings;
    private final String appId = "sdk-" + UUID.randomUUID();
    private final ScheduledExecutorService linger;
    private final List<WriteResponse> responses = new ArrayList<>();
    /** Batches cut and keyed, oldest first; only the first has been sent. */
    private final Deque<Batch> cut = new ArrayDeque<>();
    private VectorSchemaRoot buffer;
    private long nextSequence;
    private long oldestRowNanos;
    /** A batch the linger thread gave up on and dropped: the next call throws it. */
    private UnacknowledgedWriteException dropped;
    private boolean closed;

    /**
     * When a batch is sent: at {@code maxRows} rows, {@code maxBytes} of Arrow buffers, or {@code linger} after its
     * first row; and how long a batch is retried under its key before the writer gives up on it (for now).
     */
    public record Settings(int maxRows, long maxBytes, Duration linger, Duration retryFor) {
        public Settings {
            if (maxRows <= 0 || maxBytes <= 0) {
                throw new IllegalArgumentException("maxRows and maxBytes must be positive");
            }
            requireNonNull(linger, "linger is null");
            requireNonNull(retryFor, "retryFor is null");
        }

        /** Retrying a batch for a minute. */
        public Settings(int maxRows, long maxBytes, Duration linger) {
            this(maxRows, maxBytes, linger, Duration.ofMinutes(1));
        }

        public static Settings defaults() {
            return new Settings(100_000, 16L << 20, Duration.ofSeconds(1));
        }
    }

    /** A batch with its key; {@code inDoubt} once an attempt to send it may have committed it. */
    private record Batch(WriteRequest request, int rows, boolean inDoubt) {}

    BatchingWriter(LakeshardClient client, String dataset, Schema schema, Settings settings) {
        this.client = requireNonNull(client, "client is null");
        this.dataset = requireNonNull(dataset, "dataset is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.buffer = emptyBuffer(schema);
        this.linger = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "lakeshard-writer-linger");
            thread.setDaemon(true);
            return thread;
        });
        long period = Math.max(10, settings.linger().toMillis() / 4);
        linger.scheduleWithFixedDelay(this::flushIfLingered, period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * Copies all the rows in, then sends every full batch; the caller keeps ownership of {@code rows}. When this
     * throws, the rows are still taken: the writer holds them behind the batch the exception names.
     */
    public synchronized void append(VectorSchemaRoot rows) {
        throwDropped();
        int offset = 0;
        while (offset < rows.getRowCount()) {
            if (buffer.getRowCount() == 0) {
                oldestRowNanos = System.nanoTime();
            }
            int take = Math.min(rows.getRowCount() - offset, settings.maxRows() - buffer.getRowCount());
            try (VectorSchemaRoot slice = rows.slice(offset, take)) {
                VectorSchemaRootAppender.append(buffer, slice);
            }
            offset += take;
            long bytes = buffer.getFieldVectors().stream().mapToLong(ValueVector::getBufferSize).sum();
            if (buffer.getRowCount() >= settings.maxRows() || bytes >= settings.maxBytes()) {
                cutBatch();
            }
        }
        send();
    }

    /** Sends everything buffered and waits for its commit. */
    public synchronized void flush() {
        throwDropped();
        cutBatch();
        send();
    }

    /** The acknowledgement of every batch sent so far. */
    public synchronized List<WriteResponse> responses() {
        return List.copyOf(responses);
    }

    /** This writer's app id: the first part of every batch's key. */
    public String appId() {
        return appId;
    }

    private synchronized void flushIfLingered() {
        if (closed || buffer.getRowCount() == 0 || System.nanoTime() - oldestRowNanos < settings.linger().toNanos()) {
            return;
        }
        cutBatch();
        try {
            send();
        } catch (UnacknowledgedWriteException e) {
            if (!e.retryable()) {
                if (dropped == null) {
                    dropped = e;
                } else {
                    dropped.addSuppressed(e);
                }
            }
            // A retryable failure leaves the batch first in line: the next call or linger tick sends it again.
        }
    }

    private void throwDropped() {
        if (dropped != null) {
            UnacknowledgedWriteException e = dropped;
            dropped = null;
            throw e;
        }
    }

    /** The buffered rows become the next batch, with the next sequence. */
    private void cutBatch() {
        if (buffer.getRowCount() == 0) {
            return;
        }
        WriteRequest request = WriteRequest.newBuilder().setDataset(dataset).setArrowIpc(ArrowBytes.batch(buffer))
                .setKey(IdempotencyKey.newBuilder().setAppId(appId).setSequence(nextSequence++)).build();
        cut.addLast(new Batch(request, buffer.getRowCount(), false));
        Schema schema = buffer.getSchema();
        buffer.close();
        buffer = emptyBuffer(schema);
    }

    /** Sends the cut batches in order, each under its own key until acknowledged or given up. */
    private void send() {
        while (!cut.isEmpty()) {
            Batch batch = cut.peekFirst();
            try {
                responses.add(client.write(batch.request(), batch.rows(), settings.retryFor()));
                cut.removeFirst();
            } catch (UnacknowledgedWriteException e) {
                UnacknowledgedWriteException failure = e.inDoubtAfter(batch.inDoubt());
                cut.removeFirst();
                if (failure.retryable()) {
                    cut.addFirst(new Batch(batch.request(), batch.rows(), failure.inDoubt()));
                }
                throw failure;
            }
        }
    }

    private VectorSchemaRoot emptyBuffer(Schema schema) {
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, client.allocator());
        root.allocateNew();
        root.setRowCount(0);
        return root;
    }

    @Override
    public synchronized void close() {
        closed = true;
        linger.shutdownNow();
        try {
            flush();
        } finally {
            buffer.close();
            cut.clear();
        }
    }
}
