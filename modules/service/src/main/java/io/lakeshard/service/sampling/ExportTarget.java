package io.lakeshard.service.sampling;

import static java.util.Objects.requireNonNull;

import io.lakeshard.cluster.CborSerializable;
import io.lakeshard.storage.dataset.InvalidInputException;
import java.net.URI;
import java.util.Map;

/**
 * Where a sampler delivers its kept traces: an OTLP receiver, over HTTP ({@code POST <endpoint>}, protobuf, as
 * OTLP/HTTP's {@code /v1/traces}) or gRPC ({@code TraceService/Export} at the endpoint's host and port).
 *
 * @param headers sent with every export (an {@code authorization} header, say)
 */
public record ExportTarget(Protocol protocol, URI endpoint, Map<String, String> headers) implements CborSerializable {
    public enum Protocol { HTTP, GRPC }

    public ExportTarget {
        requireNonNull(protocol, "protocol is null");
        requireNonNull(endpoint, "endpoint is null");
        headers = Map.copyOf(requireNonNull(headers, "headers is null"));
        String scheme = endpoint.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new InvalidInputException("export.endpoint", "expected an http:// or https:// URL, got '" + endpoint + "'");
        }
        if (endpoint.getHost() == null) {
            throw new InvalidInputException("export.endpoint", "expected a URL with a host, got '" + endpoint + "'");
        }
        if (protocol == Protocol.GRPC && endpoint.getPort() < 0) {
            throw new InvalidInputException("export.endpoint", "expected a port for OTLP/gRPC (4317 is OTLP's), got '" + endpoint + "'");
        }
        for (String name : headers.keySet()) {
            if (name.isEmpty() || !name.chars().allMatch(c -> c > 32 && c < 127 && c != ':')) {
                throw new InvalidInputException("export.headers", "expected header names of visible ASCII without ':', got '" + name + "'");
            }
        }
    }
}
