package io.lakeshard.server.otlp;

import static java.util.Objects.requireNonNull;

import akka.http.javadsl.model.ContentType;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpEntity;
import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.HttpMethods;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.MediaTypes;
import akka.http.javadsl.model.StatusCode;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.scaladsl.model.EntityStreamSizeException;
import akka.stream.Materializer;
import akka.stream.javadsl.Sink;
import akka.util.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.Status;
import io.grpc.Status.Code;
import io.lakeshard.server.grpc.OtlpTraceGrpc;
import io.lakeshard.service.Principal;
import io.lakeshard.service.ServiceErrors;
import io.lakeshard.service.ServiceException;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.service.traces.TraceIngest;
import io.lakeshard.traces.otlp.OtlpJson;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.zip.GZIPInputStream;

/**
 * OTLP/HTTP's {@code POST /v1/traces} on the API's port, binary protobuf or JSON, plain or gzip, answered in the
 * request's encoding. Failures follow the OTLP specification so exporters do the right thing: 400 for bad data
 * (not retried), 401 without a valid key, 413 over the size limit (decompressed), 503 with
 * {@code Retry-After} when a retry may succeed; error bodies are a {@code google.rpc.Status}.
 */
public final class OtlpHttp {
    public static final String PATH = "/v1/traces";
    private static final ContentType.Binary PROTOBUF = ContentTypes.create(MediaTypes.applicationBinary("x-protobuf", MediaTypes.NOT_COMPRESSIBLE));
    private static final Duration READ_TIMEOUT = Duration.ofMinutes(1);
    private static final long DRAIN_FACTOR = 4;
    private static final String RETRY_AFTER_SECONDS = "1";

    private final TraceIngest traces;
    private final ApiKeys keys;
    private final Materializer materializer;

    public OtlpHttp(TraceIngest traces, ApiKeys keys, Materializer materializer) {
        this.traces = requireNonNull(traces, "traces is null");
        this.keys = requireNonNull(keys, "keys is null");
        this.materializer = requireNonNull(materializer, "materializer is null");
    }

    public static boolean handles(HttpRequest request) {
        return request.getUri().path().equals(PATH);
    }

    public CompletionStage<HttpResponse> handle(HttpRequest request) {
        boolean json = request.entity().getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON);
        if (request.method() != HttpMethods.POST) {
            return refuse(request, error(json, StatusCodes.METHOD_NOT_ALLOWED, Code.INVALID_ARGUMENT, "OTLP traces are POSTed to " + PATH)
                    .addHeader(RawHeader.create("Allow", "POST")));
        }
        if (!json && !request.entity().getContentType().mediaType().toString().equals(PROTOBUF.mediaType().toString())) {
            return refuse(request, error(false, StatusCodes.UNSUPPORTED_MEDIA_TYPE, Code.INVALID_ARGUMENT,
                    "Content-Type: expected application/x-protobuf or application/json, got " + request.entity().getContentType()));
        }
        Principal principal;
        try {
            principal = keys.authenticateHeader(header(request, "authorization"));
        } catch (ServiceException e) {
            return refuse(request, failure(json, e));
        }
        Optional<String> dataset = header(request, OtlpTraceGrpc.DATASET_HEADER);
        boolean gzip = header(request, "content-encoding").map(value -> value.trim().toLowerCase(Locale.ROOT))
                .filter(value -> value.equals("gzip")).isPresent();
        return body(request.entity())
                .thenCompose(body -> {
                    byte[] bytes = gzip ? gunzip(body) : body;
                    ExportTraceServiceRequest export = json ? OtlpJson.parseRequest(bytes) : parseProtobuf(bytes);
                    return traces.export(principal, dataset, export, bytes.length);
                })
                .handle((result, error) -> error != null
                        ? failure(json, error)
                        : ok(json, OtlpTraceGrpc.response(result)));
    }

    /**
     * The body, or RESOURCE_EXHAUSTED over the limit once it has been read to its end: a 413 sent while the client is
     * still sending reaches it as a reset connection, not as an answer, so a refused body is read on (keeping none of
     * it) up to {@link #DRAIN_FACTOR} times the limit, and only a larger one is cut off.
     */
    private CompletionStage<byte[]> body(HttpEntity entity) {
        long limit = traces.maxRequestBytes();
        return entity.withSizeLimit(limit * DRAIN_FACTOR).getDataBytes()
                .completionTimeout(READ_TIMEOUT)
                .runWith(Sink.fold(new Body(limit), Body::add), materializer)
                .thenApply(body -> {
                    traces.checkSize(body.size);
                    return body.kept.toArray();
                });
    }

    /** Answers once the body is read and dropped, for the reason {@link #body} reads a refused body to its end. */
    private CompletionStage<HttpResponse> refuse(HttpRequest request, HttpResponse response) {
        return request.discardEntityBytes(materializer).completionStage().handle((done, error) -> response);
    }

    /** A body as it arrives: kept while within the limit, then only counted. */
    private static final class Body {
        private final long limit;
        private ByteString kept = ByteString.emptyByteString();
        private long size;

        Body(long limit) {
            this.limit = limit;
        }

        Body add(ByteString chunk) {
            size += chunk.size();
            if (size <= limit) {
                kept = kept.concat(chunk);
            }
            return this;
        }
    }

    private static ExportTraceServiceRequest parseProtobuf(byte[] bytes) {
        try {
            return ExportTraceServiceRequest.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new ServiceException(ServiceException.Code.INVALID_ARGUMENT,
                    "body: not an ExportTraceServiceRequest in protobuf (" + e.getMessage() + ")");
        }
    }

    /** Decompresses no more than the export limit: a small gzip body must not become an unbounded one. */
    private byte[] gunzip(byte[] compressed) {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(compressed.length * 4);
            byte[] buffer = new byte[64 * 1024];
            for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
                out.write(buffer, 0, read);
                traces.checkSize(out.size());
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new ServiceException(ServiceException.Code.INVALID_ARGUMENT, "body: Content-Encoding is gzip but the body is not ("
                    + e.getMessage() + ")");
        }
    }

    private static HttpResponse ok(boolean json, ExportTraceServiceResponse response) {
        return HttpResponse.create().withStatus(StatusCodes.OK)
                .withEntity(json ? HttpEntities.create(ContentTypes.APPLICATION_JSON, OtlpJson.print(response))
                        : HttpEntities.create(PROTOBUF, response.toByteArray()));
    }

    private HttpResponse failure(boolean json, Throwable error) {
        if (error.getCause() instanceof EntityStreamSizeException || error instanceof EntityStreamSizeException) {
            return error(json, StatusCodes.PAYLOAD_TOO_LARGE, Code.RESOURCE_EXHAUSTED, "body: over the limit of "
                    + traces.maxRequestBytes() + " bytes (lakeshard.otlp.max-request-bytes); send smaller batches");
        }
        ServiceException failure = ServiceErrors.map(error);
        return switch (failure.code()) {
            case INVALID_ARGUMENT, FAILED_PRECONDITION, ALREADY_EXISTS -> error(json, StatusCodes.BAD_REQUEST, Code.INVALID_ARGUMENT, failure.getMessage());
            case NOT_FOUND -> error(json, StatusCodes.NOT_FOUND, Code.NOT_FOUND, failure.getMessage());
            case UNAUTHENTICATED -> error(json, StatusCodes.UNAUTHORIZED, Code.UNAUTHENTICATED, failure.getMessage());
            case PERMISSION_DENIED -> error(json, StatusCodes.FORBIDDEN, Code.PERMISSION_DENIED, failure.getMessage());
            // An export's only limits are its size and its spans: too large, not too many requests.
            case RESOURCE_EXHAUSTED -> error(json, StatusCodes.PAYLOAD_TOO_LARGE, Code.RESOURCE_EXHAUSTED, failure.getMessage());
            case UNAVAILABLE, DEADLINE_EXCEEDED -> retryLater(error(json, StatusCodes.SERVICE_UNAVAILABLE, Code.UNAVAILABLE, failure.getMessage()));
            case INTERNAL -> error(json, StatusCodes.INTERNAL_SERVER_ERROR, Code.INTERNAL, failure.getMessage());
        };
    }

    private static HttpResponse retryLater(HttpResponse response) {
        return response.addHeader(RawHeader.create("Retry-After", RETRY_AFTER_SECONDS));
    }

    private static HttpResponse error(boolean json, StatusCode status, Code code, String message) {
        Status body = Status.newBuilder().setCode(code.value()).setMessage(message).build();
        return HttpResponse.create().withStatus(status)
                .withEntity(json ? HttpEntities.create(ContentTypes.APPLICATION_JSON, OtlpJson.print(body))
                        : HttpEntities.create(PROTOBUF, body.toByteArray()));
    }

    private static Optional<String> header(HttpRequest request, String name) {
        return request.getHeader(name).map(HttpHeader::value);
    }
}
