package io.lakeshard.server.grpc;

import static java.util.Objects.requireNonNull;

import akka.grpc.javadsl.Metadata;
import io.lakeshard.service.traces.TraceIngest;
import io.lakeshard.service.traces.TraceIngest.ExportResult;
import io.lakeshard.service.auth.ApiKeys;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServicePowerApi;
import java.util.concurrent.CompletionStage;

/**
 * OTLP/gRPC's {@code TraceService/Export} on the API's port: an exporter needs only the endpoint and its API key
 * ({@code authorization: Bearer ...}); {@code x-lakeshard-dataset} names a trace dataset other than the default.
 * Retryable failures are UNAVAILABLE, as the OTLP specification asks, so exporters retry them.
 */
public final class OtlpTraceGrpc implements TraceServicePowerApi {
    public static final String DATASET_HEADER = "x-lakeshard-dataset";

    private final TraceIngest traces;
    private final ApiKeys keys;

    public OtlpTraceGrpc(TraceIngest traces, ApiKeys keys) {
        this.traces = requireNonNull(traces, "traces is null");
        this.keys = requireNonNull(keys, "keys is null");
    }

    @Override
    public CompletionStage<ExportTraceServiceResponse> export(ExportTraceServiceRequest in, Metadata metadata) {
        return Errors.guarded(() -> traces.export(Callers.principal(keys, metadata), metadata.getText(DATASET_HEADER), in,
                in.getSerializedSize()).thenApply(OtlpTraceGrpc::response));
    }

    /** Full success leaves {@code partial_success} unset, as the specification says. */
    public static ExportTraceServiceResponse response(ExportResult result) {
        ExportTraceServiceResponse.Builder response = ExportTraceServiceResponse.newBuilder();
        if (result.rejectedSpans() > 0) {
            response.setPartialSuccess(ExportTracePartialSuccess.newBuilder()
                    .setRejectedSpans(result.rejectedSpans())
                    .setErrorMessage(result.errorMessage()));
        }
        return response.build();
    }
}
