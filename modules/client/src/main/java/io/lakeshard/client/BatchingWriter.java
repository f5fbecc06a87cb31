package io.lakeshard.client;

import static java.util.Objects.requireNonNull;

import io.lakeshard.api.v1.WriteResponse;
import java.time.Duration;
import java.util.ArrayList;
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
 * enough. Batches go one at a time under this writer's own app id, each retried with its own key until committed,
 * so every appended row is committed exactly once.
 */
public final class BatchingWriter implements AutoCloseable {
    private final LakeshardClient client;
    private final String dataset;
    private final Settings settings;
    private final String appId = "sdk-" + UUID.randomUUID();
    private final ScheduledExecutorService linger;
    private final List<WriteResponse> responses = new ArrayList<>();
    private VectorSchemaRoot buffer;
    private long sequence;
    private long oldestRowNanos;

    /** When a batch is sent: at {@code maxRows} rows, {@code maxBytes} of Arrow buffers, or {@code linger} after its first row. */
    public record Settings(int maxRows, long maxBytes, Duration linger) {
        public static Settings defaults() {
            return new Settings(100_000, 16L << 20, Duration.ofSeconds(1));
        }
    }

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

    /** Copies the rows in, sending full batches as they fill; the caller keeps ownership of {@code rows}. */
    public synchronized void append(VectorSchemaRoot rows) {
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
                flush();
            }
        }
    }

    /** Sends what is buffered and waits for its commit. */
    public synchronized void flush() {
        if (buffer.getRowCount() == 0) {
            return;
        }
        responses.add(client.write(dataset, buffer, appId, sequence++));
        Schema schema = buffer.getSchema();
        buffer.close();
        buffer = emptyBuffer(schema);
    }

    /** The acknowledgement of every batch sent so far. */
    public synchronized List<WriteResponse> responses() {
        return List.copyOf(responses);
    }

    private synchronized void flushIfLingered() {
        if (buffer.getRowCount() > 0 && System.nanoTime() - oldestRowNanos >= settings.linger().toNanos()) {
            flush();
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
        try {
            flush();
        } finally {
            linger.shutdownNow();
            buffer.close();
        }
    }
}
