package io.lakeshard.server.grpc;

import static java.util.Objects.requireNonNull;

import akka.grpc.javadsl.Metadata;
import io.lakeshard.api.v1.ExportQueryRequest;
import io.lakeshard.api.v1.ExportQueryResponse;
import io.lakeshard.api.v1.ExportServicePowerApi;
import io.lakeshard.api.v1.ExportedFile;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.service.exports.Exports;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/** ExportService over gRPC. */
public final class ExportGrpc implements ExportServicePowerApi {
    private final Exports exports;
    private final ApiKeys keys;

    public ExportGrpc(Exports exports, ApiKeys keys) {
        this.exports = requireNonNull(exports, "exports is null");
        this.keys = requireNonNull(keys, "keys is null");
    }

    @Override
    public CompletionStage<ExportQueryResponse> exportQuery(ExportQueryRequest in, Metadata metadata) {
        return Errors.guarded(() -> exports.export(Callers.principal(keys, metadata), new Exports.ExportRequest(in.getSql(), in.getDestination(),
                        in.getPartitionByList(), in.getOverwrite(),
                        in.getTimeoutMillis() > 0 ? Optional.of(Duration.ofMillis(in.getTimeoutMillis())) : Optional.empty()))
                .thenApply(result -> ExportQueryResponse.newBuilder().setDirectory(result.directory()).setRows(result.rows())
                        .setBytes(result.bytes())
                        .addAllFiles(result.files().stream().map(file -> ExportedFile.newBuilder().setUri(file.uri()).setBytes(file.bytes()).build())
                                .toList())
                        .build()));
    }
}
