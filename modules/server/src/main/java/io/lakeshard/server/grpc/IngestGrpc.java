package io.lakeshard.server.grpc;

import static java.util.Objects.requireNonNull;

import akka.actor.typed.ActorSystem;
import akka.grpc.GrpcServiceException;
import akka.grpc.javadsl.Metadata;
import akka.stream.javadsl.Source;
import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.lakeshard.api.v1.IngestServicePowerApi;
import io.lakeshard.api.v1.WriteChunk;
import io.lakeshard.api.v1.WriteRequest;
import io.lakeshard.api.v1.WriteResponse;
import io.lakeshard.cluster.node.LakeshardNode;
import io.lakeshard.cluster.table.TableEntity;
import io.lakeshard.server.auth.ApiKeys;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.table.IdempotencyKey;
import java.util.concurrent.CompletionStage;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/** IngestService: Arrow batches in, acknowledged once committed. */
public final class IngestGrpc implements IngestServicePowerApi {
    private final LakeshardNode node;
    private final ApiKeys keys;
    private final BufferAllocator allocator;
    private final ActorSystem<?> system;
    private final Limits limits;

    /** What one write may carry. akka-http applies no size limit to gRPC requests; these do. */
    public record Limits(long maxMessageBytes, long maxRowsPerWrite) {}

    public IngestGrpc(LakeshardNode node, ApiKeys keys, BufferAllocator allocator, Limits limits) {
        this.node = requireNonNull(node, "node is null");
        this.keys = requireNonNull(keys, "keys is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.system = node.system();
        this.limits = requireNonNull(limits, "limits is null");
    }

    @Override
    public CompletionStage<WriteResponse> write(WriteRequest in, Metadata metadata) {
        return Errors.guarded(() -> write(keys.authenticate(metadata).tenant(), in.getDataset(), in.getKey(), in.getArrowIpc()));
    }

    @Override
    public CompletionStage<WriteResponse> writeStream(Source<WriteChunk, akka.NotUsed> in, Metadata metadata) {
        return Errors.guarded(() -> {
            String tenant = keys.authenticate(metadata).tenant();
            return in.runFold(WriteChunk.newBuilder(), (whole, chunk) -> {
                if (whole.getDataset().isEmpty()) {
                    whole.setDataset(chunk.getDataset()).setKey(chunk.getKey());
                }
                ByteString bytes = whole.getArrowIpc().concat(chunk.getArrowIpc());
                if (bytes.size() > limits.maxMessageBytes()) {
                    throw tooLarge(bytes.size());
                }
                return whole.setArrowIpc(bytes);
            }, system).thenCompose(whole -> write(tenant, whole.getDataset(), whole.getKey(), whole.getArrowIpc()));
        });
    }

    private CompletionStage<WriteResponse> write(String tenant, String dataset, io.lakeshard.api.v1.IdempotencyKey key, ByteString ipc) {
        if (ipc.size() > limits.maxMessageBytes()) {
            throw tooLarge(ipc.size());
        }
        DatasetName name = DatasetName.parse(dataset);
        if (!key.isInitialized() || key.getAppId().isEmpty()) {
            throw new InvalidInputException("key.app_id", "every write needs an idempotency key (app id and sequence)");
        }
        IdempotencyKey idempotencyKey = new IdempotencyKey(key.getAppId(), key.getSequence());
        VectorSchemaRoot batch = ArrowIpc.batches(ipc, allocator);
        if (batch.getRowCount() > limits.maxRowsPerWrite()) {
            batch.close();
            throw new GrpcServiceException(Status.RESOURCE_EXHAUSTED.withDescription(
                    "arrow_ipc: " + batch.getRowCount() + " rows, at most " + limits.maxRowsPerWrite() + " per write"));
        }
        long bytes = ipc.size();
        return node.ingest().write(tenant, name, batch, idempotencyKey).handle((reply, error) -> {
            batch.close();
            if (error != null) {
                node.metrics().count("lakeshard_writes_total", "Writes by outcome", "result=\"failed\"", 1);
                throw Errors.status(error);
            }
            if (reply instanceof TableEntity.WriteAck ack) {
                node.metrics().count("lakeshard_writes_total", "Writes by outcome", ack.applied() ? "result=\"applied\"" : "result=\"replay\"", 1);
                if (ack.applied()) {
                    node.metrics().count("lakeshard_write_rows_total", "Rows committed", null, ack.rows());
                    node.metrics().count("lakeshard_write_bytes_total", "Arrow IPC bytes of committed writes", null, bytes);
                }
                return WriteResponse.newBuilder().setRows(ack.rows()).setTableVersion(ack.version()).setReplay(!ack.applied()).build();
            }
            TableEntity.WriteRejected rejected = (TableEntity.WriteRejected) reply;
            node.metrics().count("lakeshard_writes_total", "Writes by outcome", "result=\"rejected\"", 1);
            throw new GrpcServiceException((rejected.retryable() ? Status.UNAVAILABLE : Status.INVALID_ARGUMENT)
                    .withDescription(rejected.field().isEmpty() || rejected.message().startsWith(rejected.field())
                            ? rejected.message() : rejected.field() + ": " + rejected.message()));
        });
    }

    private GrpcServiceException tooLarge(long bytes) {
        return new GrpcServiceException(Status.RESOURCE_EXHAUSTED.withDescription("arrow_ipc: " + bytes
                + " bytes, at most " + limits.maxMessageBytes() + " per message; use WriteStream or smaller batches"));
    }
}
