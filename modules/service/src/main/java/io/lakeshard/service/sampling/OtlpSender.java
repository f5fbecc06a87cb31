package io.lakeshard.service.sampling;

import static java.util.Objects.requireNonNull;

import akka.actor.ClassicActorSystemProvider;
import akka.grpc.GrpcClientSettings;
import akka.grpc.GrpcServiceException;
import akka.grpc.javadsl.SingleResponseRequestBuilder;
import io.grpc.Status;
import io.lakeshard.grpc.FixedAddressResolver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceClient;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * One OTLP receiver, sent one export at a time. A failed export fails the stage with an {@link ExportFailure} that
 * says whether OTLP calls it retryable and any wait the receiver asked for; the caller does the retrying, so that
 * what was confirmed is recorded before the next page.
 */
final class OtlpSender implements AutoCloseable {
    /** OTLP/HTTP's retryable statuses. */
    private static final Set<Integer> RETRYABLE_HTTP = Set.of(429, 502, 503, 504);
    /** OTLP/gRPC's retryable codes. */
    private static final Set<Status.Code> RETRYABLE_GRPC = Set.of(Status.Code.CANCELLED, Status.Code.DEADLINE_EXCEEDED,
            Status.Code.ABORTED, Status.Code.OUT_OF_RANGE, Status.Code.UNAVAILABLE, Status.Code.DATA_LOSS, Status.Code.RESOURCE_EXHAUSTED);

    /** Why an export did not go through. */
    static final class ExportFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final boolean retryable;
        private final transient Optional<Duration> retryAfter;

        ExportFailure(String message, boolean retryable, Optional<Duration> retryAfter, Throwable cause) {
            super(message, cause);
            this.retryable = retryable;
            this.retryAfter = retryAfter;
        }

        boolean retryable() {
            return retryable;
        }

        Optional<Duration> retryAfter() {
            return retryAfter;
        }
    }

    private final ExportTarget target;
    private final Duration timeout;
    private final HttpClient http;
    private final TraceServiceClient grpc;

    OtlpSender(ExportTarget target, Duration timeout, ClassicActorSystemProvider system) {
        this.target = requireNonNull(target, "target is null");
        this.timeout = requireNonNull(timeout, "timeout is null");
        if (target.protocol() == ExportTarget.Protocol.HTTP) {
            // Plain HTTP/1.1 to an http:// receiver: the JDK's h2c upgrade of a POST is one more thing a collector may not take;
            // https negotiates HTTP/2 by ALPN where the receiver has it.
            this.http = HttpClient.newBuilder().connectTimeout(timeout)
                    .version("https".equals(target.endpoint().getScheme()) ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1)
                    .build();
            this.grpc = null;
        } else {
            this.http = null;
            URI endpoint = target.endpoint();
            // Resolved once, here: a sender is made again after a failed export, so a receiver that moves is found again.
            InetSocketAddress address = new InetSocketAddress(endpoint.getHost(), endpoint.getPort());
            this.grpc = TraceServiceClient.create(GrpcClientSettings.connectToServiceAt(endpoint.getHost(), endpoint.getPort(), system)
                    .withTls("https".equals(endpoint.getScheme()))
                    .withChannelBuilderOverrides(builder -> FixedAddressResolver.pin(builder, address))
                    .withDeadline(timeout), system);
        }
    }

    /** Sends the spans as one export; completes when the receiver accepted them. */
    CompletionStage<Void> send(TracesData spans) {
        ExportTraceServiceRequest request = ExportTraceServiceRequest.newBuilder().addAllResourceSpans(spans.getResourceSpansList()).build();
        return http != null ? sendHttp(request) : sendGrpc(request);
    }

    private CompletionStage<Void> sendHttp(ExportTraceServiceRequest request) {
        HttpRequest.Builder post = HttpRequest.newBuilder(target.endpoint()).timeout(timeout)
                .header("Content-Type", "application/x-protobuf")
                .POST(HttpRequest.BodyPublishers.ofByteArray(request.toByteArray()));
        target.headers().forEach(post::header);
        return http.sendAsync(post.build(), HttpResponse.BodyHandlers.ofByteArray()).handle((response, error) -> {
            if (error != null) {
                throw new ExportFailure("OTLP/HTTP export to " + target.endpoint() + " failed: " + error, true, Optional.empty(), error);
            }
            int status = response.statusCode();
            if (status / 100 == 2) {
                return null;
            }
            Optional<Duration> retryAfter = response.headers().firstValue("Retry-After").flatMap(OtlpSender::seconds);
            throw new ExportFailure("OTLP/HTTP export to " + target.endpoint() + " answered " + status, RETRYABLE_HTTP.contains(status),
                    retryAfter, null);
        });
    }

    private CompletionStage<Void> sendGrpc(ExportTraceServiceRequest request) {
        SingleResponseRequestBuilder<ExportTraceServiceRequest, ExportTraceServiceResponse> call = grpc.export();
        for (Map.Entry<String, String> header : target.headers().entrySet()) {
            call = call.addHeader(header.getKey(), header.getValue());
        }
        return call.invoke(request).handle((response, error) -> {
            if (error == null) {
                return null;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            Status status = cause instanceof GrpcServiceException g ? g.getStatus() : Status.fromThrowable(cause);
            throw new ExportFailure("OTLP/gRPC export to " + target.endpoint() + " failed: " + status.getCode()
                    + (status.getDescription() == null ? "" : " " + status.getDescription()), RETRYABLE_GRPC.contains(status.getCode()),
                    Optional.empty(), cause);
        });
    }

    private static Optional<Duration> seconds(String value) {
        try {
            return Optional.of(Duration.ofSeconds(Long.parseLong(value.trim())));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        if (grpc != null) {
            grpc.close();
        }
    }
}
