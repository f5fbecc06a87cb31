package io.lakeshard.server.grpc;

import static java.util.Objects.requireNonNull;

import akka.NotUsed;
import akka.grpc.javadsl.Metadata;
import akka.stream.Materializer;
import akka.stream.javadsl.Source;
import com.google.protobuf.ByteString;
import io.lakeshard.api.v1.IdempotencyKey;
import io.lakeshard.api.v1.IngestServicePowerApi;
import io.lakeshard.api.v1.WriteChunk;
import io.lakeshard.api.v1.WriteRequest;
import io.lakeshard.api.v1.WriteResponse;
import io.lakeshard.service.Principal;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.service.ingest.Ingest;
import io.lakeshard.service.ingest.WriteResult;
import java.util.concurrent.CompletionStage;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/** IngestService over gRPC: Arrow IPC in, acknowledged once committed. */
public final class IngestGrpc implements IngestServicePowerApi {
    private final Ingest ingest;
    private final ApiKeys keys;
    private final BufferAllocator allocator;
    private final Materializer materializer;

    public IngestGrpc(Ingest ingest, ApiKeys keys, BufferAllocator allocator, Materializer materializer) {
        this.ingest = requireNonNull(ingest, "ingest is null");
        this.keys = requireNonNull(keys, "keys is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.materializer = requireNonNull(materializer, "materializer is null");
    }

    @Override
    public CompletionStage<WriteResponse> write(WriteRequest in, Metadata metadata) {
        return Errors.guarded(() -> write(Callers.principal(keys, metadata), in.getDataset(), in.getKey(), in.getArrowIpc()));
    }

    @Override
    public CompletionStage<WriteResponse> writeStream(Source<WriteChunk, NotUsed> in, Metadata metadata) {
        return Errors.guarded(() -> {
            Principal principal = Callers.principal(keys, metadata);
            return in.runFold(WriteChunk.newBuilder(), (whole, chunk) -> {
                if (whole.getDataset().isEmpty()) {
                    whole.setDataset(chunk.getDataset()).setKey(chunk.getKey());
                }
                ByteString bytes = whole.getArrowIpc().concat(chunk.getArrowIpc());
                ingest.checkSize(bytes.size());
                return whole.setArrowIpc(bytes);
            }, materializer).thenCompose(whole -> write(principal, whole.getDataset(), whole.getKey(), whole.getArrowIpc()));
        });
    }

    private CompletionStage<WriteResponse> write(Principal principal, String dataset, IdempotencyKey key, ByteString ipc) {
        ingest.checkSize(ipc.size());
        var request = io.lakeshard.service.ingest.WriteRequest.of(dataset, key.getAppId(), key.getSequence(), ipc.size());
        VectorSchemaRoot batch = ArrowIpc.batches(ipc, allocator);
        return ingest.write(principal, request, batch).thenApply(IngestGrpc::toProto);
    }

    private static WriteResponse toProto(WriteResult result) {
        return WriteResponse.newBuilder().setRows(result.rows()).setTableVersion(result.tableVersion()).setReplay(result.replay()).build();
    }
}
