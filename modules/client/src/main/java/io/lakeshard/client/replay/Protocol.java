package io.lakeshard.client.replay;

import java.util.Locale;

/** How spans travel to an OTLP target, named as OpenTelemetry's OTEL_EXPORTER_OTLP_PROTOCOL names them. */
public enum Protocol {
    /** {@code opentelemetry.proto.collector.trace.v1.TraceService/Export}. */
    GRPC("grpc"),
    /** {@code POST <endpoint>/v1/traces}, {@code Content-Type: application/x-protobuf}. */
    HTTP_PROTOBUF("http/protobuf");

    private final String text;

    Protocol(String text) {
        this.text = text;
    }

    /** @throws IllegalArgumentException unless {@code text} is {@code grpc} or {@code http/protobuf} */
    public static Protocol parse(String text) {
        for (Protocol protocol : values()) {
            if (protocol.text.equals(text.strip().toLowerCase(Locale.ROOT))) {
                return protocol;
            }
        }
        throw new IllegalArgumentException("the protocol is grpc or http/protobuf, not '" + text + "'");
    }

    @Override
    public String toString() {
        return text;
    }
}
