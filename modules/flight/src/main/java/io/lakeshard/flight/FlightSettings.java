package io.lakeshard.flight;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The Flight SQL endpoint's settings: {@code lakeshard.flight.*}, with the API's host and TLS keystore
 * ({@code lakeshard.server.host}, {@code lakeshard.server.tls.*}) so both ports are served alike.
 *
 * @param ticketSecret empty: a random secret of this process, which only a single node can use
 * @param tls empty: plain HTTP/2
 */
public record FlightSettings(boolean enabled, String host, int port, Optional<String> ticketSecret, Duration ticketTtl,
        Optional<Tls> tls) {
    /** Secrets shorter than this are refused: the signature is only as strong as the secret. */
    static final int MIN_SECRET_LENGTH = 32;

    /** A PKCS12 keystore holding the server's key and certificate chain. */
    public record Tls(Path keystore, String password) {
        public Tls {
            requireNonNull(keystore, "keystore is null");
            requireNonNull(password, "password is null");
        }
    }

    public FlightSettings {
        requireNonNull(host, "host is null");
        requireNonNull(ticketSecret, "ticketSecret is null");
        requireNonNull(ticketTtl, "ticketTtl is null");
        requireNonNull(tls, "tls is null");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("lakeshard.flight.port: expected 0 to 65535, got " + port);
        }
        if (ticketSecret.isPresent() && ticketSecret.get().length() < MIN_SECRET_LENGTH) {
            throw new IllegalArgumentException("lakeshard.flight.ticket-secret: expected at least " + MIN_SECRET_LENGTH
                    + " characters, got " + ticketSecret.get().length());
        }
        if (ticketTtl.isNegative() || ticketTtl.isZero()) {
            throw new IllegalArgumentException("lakeshard.flight.ticket-ttl: expected a positive duration, got " + ticketTtl);
        }
    }

    public static FlightSettings from(Config config) {
        Config flight = config.getConfig("lakeshard.flight");
        Config server = config.getConfig("lakeshard.server");
        Optional<Tls> tls = Optional.empty();
        if (server.hasPath("tls.enabled") && server.getBoolean("tls.enabled")) {
            String keystore = server.getString("tls.keystore");
            if (keystore.isEmpty()) {
                throw new IllegalArgumentException("lakeshard.server.tls.keystore: expected the path of a PKCS12 keystore when TLS is enabled");
            }
            tls = Optional.of(new Tls(Path.of(keystore), server.getString("tls.keystore-password")));
        }
        String secret = flight.getString("ticket-secret");
        return new FlightSettings(flight.getBoolean("enabled"), server.getString("host"), flight.getInt("port"),
                secret.isEmpty() ? Optional.empty() : Optional.of(secret), flight.getDuration("ticket-ttl"), tls);
    }
}
