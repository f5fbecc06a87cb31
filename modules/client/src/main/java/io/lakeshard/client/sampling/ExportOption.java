package io.lakeshard.client.sampling;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a sampler delivers its kept traces: an OTLP receiver.
 *
 * @param endpoint for {@link Protocol#HTTP} the whole URL ({@code https://collector:4318/v1/traces}); for
 *     {@link Protocol#GRPC} the receiver's host and port ({@code http://collector:4317})
 * @param headers sent with every export; the server never shows their values again
 */
public record ExportOption(Protocol protocol, String endpoint, Map<String, String> headers) {
    public enum Protocol { HTTP, GRPC }

    public ExportOption {
        requireNonNull(protocol, "protocol is null");
        requireNonNull(endpoint, "endpoint is null");
        headers = Map.copyOf(requireNonNull(headers, "headers is null"));
    }

    /** OTLP/HTTP (protobuf): {@code POST endpoint}. */
    public static ExportOption http(String endpoint) {
        return new ExportOption(Protocol.HTTP, endpoint, Map.of());
    }

    /** OTLP/gRPC: {@code TraceService/Export} at the endpoint's host and port. */
    public static ExportOption grpc(String endpoint) {
        return new ExportOption(Protocol.GRPC, endpoint, Map.of());
    }

    public ExportOption withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(requireNonNull(name, "name is null"), requireNonNull(value, "value is null"));
        return new ExportOption(protocol, endpoint, more);
    }
}
