package io.lakeshard.server.grpc;

import akka.grpc.javadsl.Metadata;
import io.lakeshard.service.Principal;
import io.lakeshard.service.auth.ApiKeys;
import java.time.Duration;
import java.util.Optional;

/** What a gRPC call's headers say about its caller: who it is, and how long it will wait. */
final class Callers {
    private Callers() {}

    static Principal principal(ApiKeys keys, Metadata metadata) {
        return keys.authenticateHeader(metadata.getText("authorization"));
    }

    /**
     * How long the caller will wait, from its {@code grpc-timeout} header (a number and a unit: H, M, S, m, u, n);
     * empty when it set no deadline.
     */
    static Optional<Duration> deadline(Metadata metadata) {
        Optional<String> header = metadata.getText("grpc-timeout");
        if (header.isEmpty() || header.get().length() < 2) {
            return Optional.empty();
        }
        String value = header.get();
        long amount;
        try {
            amount = Long.parseLong(value.substring(0, value.length() - 1));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return switch (value.charAt(value.length() - 1)) {
            case 'H' -> Optional.of(Duration.ofHours(amount));
            case 'M' -> Optional.of(Duration.ofMinutes(amount));
            case 'S' -> Optional.of(Duration.ofSeconds(amount));
            case 'm' -> Optional.of(Duration.ofMillis(amount));
            case 'u' -> Optional.of(Duration.ofNanos(amount * 1_000));
            case 'n' -> Optional.of(Duration.ofNanos(amount));
            default -> Optional.empty();
        };
    }
}
