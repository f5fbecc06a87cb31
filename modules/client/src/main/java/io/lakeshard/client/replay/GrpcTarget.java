package io.lakeshard.client.replay;

import static java.util.Objects.requireNonNull;

import akka.grpc.javadsl.SingleResponseRequestBuilder;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.lakeshard.client.LakeshardClient;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceClient;
import java.net.URI;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** OTLP/gRPC: {@code TraceService/Export}, each call under the target's timeout as its deadline. */
final class GrpcTarget implements OtlpTarget {
    /**
     * The codes OTLP/gRPC says to retry. RESOURCE_EXHAUSTED is not among them: the specification retries it only when
     * the server sends RetryInfo (it can recover from the overload), and a server that refuses an export as too
     * large (Lakeshard does) answers it without.
     */
    private static final Set<Status.Code> RETRYABLE = EnumSet.of(Status.Code.CANCELLED, Status.Code.DEADLINE_EXCEEDED,
            Status.Code.ABORTED, Status.Code.OUT_OF_RANGE, Status.Code.UNAVAILABLE, Status.Code.DATA_LOSS);

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private final TraceServiceClient client;
    private final URI endpoint;
    private final Map<String, String> headers;

    private GrpcTarget(TraceServiceClient client, URI endpoint, Map<String, String> headers) {
        this.client = requireNonNull(client, "client is null");
        this.endpoint = requireNonNull(endpoint, "endpoint is null");
        this.headers = requireNonNull(headers, "headers is null");
    }

    static GrpcTarget open(LakeshardClient lakeshard, URI endpoint, Map<String, String> headers, Duration timeout) {
        if (endpoint.getPath() != null && !endpoint.getPath().isEmpty() && !endpoint.getPath().equals("/")) {
            throw new IllegalArgumentException("an OTLP/gRPC endpoint is http(s)://host:port without a path, not '" + endpoint + "'");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        headers.forEach((key, value) -> {
            String name = key.strip().toLowerCase(Locale.ROOT);
            if (name.isEmpty() || name.endsWith("-bin") || name.startsWith("grpc-")) {
                throw new IllegalArgumentException("'" + key + "' cannot be sent as a gRPC text header");
            }
            metadata.put(name, value);
        });
        boolean tls = endpoint.getScheme().equalsIgnoreCase("https");
        int port = endpoint.getPort() >= 0 ? endpoint.getPort() : tls ? 443 : 80;
        return new GrpcTarget(lakeshard.otlpTraceService(endpoint.getHost(), port, tls, timeout), endpoint, metadata);
    }

    @Override
    public Answer send(ExportTraceServiceRequest export) throws InterruptedException {
        SingleResponseRequestBuilder<ExportTraceServiceRequest, ExportTraceServiceResponse> call = client.export();
        for (Map.Entry<String, String> header : headers.entrySet()) {
            call = call.addHeader(header.getKey(), header.getValue());
        }
        try {
            ExportTracePartialSuccess partial = call.invoke(export).toCompletableFuture().get().getPartialSuccess();
            return Answer.accepted(partial.getRejectedSpans(), partial.getErrorMessage());
        } catch (ExecutionException e) {
            return answer(e.getCause());
        }
    }

    private Answer answer(Throwable error) {
        if (!(error instanceof StatusRuntimeException failure)) {
            return Answer.retry("cannot reach " + endpoint + ": " + error, Optional.empty());
        }
        Status status = failure.getStatus();
        String message = "gRPC " + status.getCode() + " from " + endpoint + (status.getDescription() == null ? "" : ": " + status.getDescription());
        Optional<Duration> retryAfter = retryInfo(failure);
        if (RETRYABLE.contains(status.getCode()) || status.getCode() == Status.Code.RESOURCE_EXHAUSTED && retryAfter.isPresent()) {
            return Answer.retry(message, retryAfter);
        }
        return Answer.refused(message);
    }

    /** The delay a {@code google.rpc.RetryInfo} among the status's details asks for. */
    private static Optional<Duration> retryInfo(StatusRuntimeException failure) {
        com.google.rpc.Status details = StatusProto.fromThrowable(failure);
        if (details == null) {
            return Optional.empty();
        }
        for (Any detail : details.getDetailsList()) {
            if (detail.is(RetryInfo.class)) {
                try {
                    com.google.protobuf.Duration delay = detail.unpack(RetryInfo.class).getRetryDelay();
                    return Optional.of(Duration.ofSeconds(delay.getSeconds(), delay.getNanos()));
                } catch (InvalidProtocolBufferException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    /** Waits a moment for the channel to end, so that the client's event loop can stop after it. */
    @Override
    public void close() {
        try {
            client.close().toCompletableFuture().get(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // Closing is best effort: a channel that does not end in time is cut off with the event loop.
        }
    }
}
