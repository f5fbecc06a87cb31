package io.lakeshard.service.ingest;

import static java.util.Objects.requireNonNull;

import io.lakeshard.cluster.metrics.Metrics;
import io.lakeshard.cluster.table.IngestRouter;
import io.lakeshard.cluster.table.TableEntity;
import io.lakeshard.service.Principal;
import io.lakeshard.service.ServiceErrors;
import io.lakeshard.service.ServiceException;
import io.lakeshard.service.ServiceException.Code;
import io.lakeshard.service.ServiceSettings;
import java.util.concurrent.CompletionStage;
import org.apache.arrow.vector.VectorSchemaRoot;

/** Rows into a dataset, acknowledged once committed, at most once per idempotency key. */
public final class Ingest {
    private final IngestRouter router;
    private final ServiceSettings settings;
    private final Metrics metrics;

    public Ingest(IngestRouter router, ServiceSettings settings, Metrics metrics) {
        this.router = requireNonNull(router, "router is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
    }

    /**
     * Refuses a write larger than the limit, before a door decodes (or keeps receiving) it. Doors that receive a write
     * in parts check the total so far: the limit is one write's, however it is sent, so the message says how to split.
     */
    public void checkSize(long encodedBytes) {
        if (encodedBytes > settings.maxMessageBytes()) {
            throw new ServiceException(Code.RESOURCE_EXHAUSTED, "arrow_ipc: " + encodedBytes + " bytes, over the limit of "
                    + settings.maxMessageBytes() + " bytes for one write, whether sent as one Write or as WriteStream "
                    + "chunks (lakeshard.server.max-message-bytes); split the rows into several writes under the limit, "
                    + "each with the next sequence of its app id");
        }
    }

    /** Writes the batch, and closes it once the write is acknowledged or refused. */
    public CompletionStage<WriteResult> write(Principal principal, WriteRequest request, VectorSchemaRoot batch) {
        try {
            checkSize(request.encodedBytes());
            if (batch.getRowCount() > settings.maxRowsPerWrite()) {
                throw new ServiceException(Code.RESOURCE_EXHAUSTED, "arrow_ipc: " + batch.getRowCount() + " rows, at most "
                        + settings.maxRowsPerWrite() + " per write");
            }
        } catch (RuntimeException e) {
            batch.close();
            throw e;
        }
        return router.write(principal.tenant(), request.dataset(), batch, request.key()).handle((reply, error) -> {
            batch.close();
            if (error != null) {
                count("failed");
                throw ServiceErrors.map(error);
            }
            if (reply instanceof TableEntity.WriteAck ack) {
                count(ack.applied() ? "applied" : "replay");
                if (ack.applied()) {
                    metrics.count("lakeshard_write_rows_total", "Rows committed", null, ack.rows());
                    metrics.count("lakeshard_write_bytes_total", "Arrow IPC bytes of committed writes", null, request.encodedBytes());
                }
                return new WriteResult(ack.rows(), ack.version(), !ack.applied());
            }
            TableEntity.WriteRejected rejected = (TableEntity.WriteRejected) reply;
            count("rejected");
            throw new ServiceException(rejected.retryable() ? Code.UNAVAILABLE : rejected.readOnly() ? Code.FAILED_PRECONDITION : Code.INVALID_ARGUMENT,
                    rejected.field().isEmpty() || rejected.message().startsWith(rejected.field())
                            ? rejected.message() : rejected.field() + ": " + rejected.message());
        });
    }

    private void count(String result) {
        metrics.count("lakeshard_writes_total", "Writes by outcome", "result=\"" + result + "\"", 1);
    }
}
