package io.lakeshard.server;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the gRPC API listens, read once from {@code lakeshard.server} (defaults in {@code lakeshard-server.conf}).
 * What requests may carry is the service layer's ({@code ServiceSettings}).
 *
 * @param tls empty: plain HTTP/2 (loopback, or behind a TLS-terminating proxy)
 */
public record ServerSettings(String host, int port, Optional<Tls> tls) {
    /** A PKCS12 keystore holding the server's key and certificate. */
    public record Tls(Path keystore, String password) {
        public Tls {
            requireNonNull(keystore, "keystore is null");
            requireNonNull(password, "password is null");
        }
    }

    public ServerSettings {
        requireNonNull(host, "host is null");
        requireNonNull(tls, "tls is null");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("lakeshard.server.port: expected 0 to 65535, got " + port);
        }
    }

    public static ServerSettings from(Config config) {
        Config server = config.getConfig("lakeshard.server");
        Optional<Tls> tls = Optional.empty();
        if (server.getBoolean("tls.enabled")) {
            String keystore = server.getString("tls.keystore");
            if (keystore.isBlank()) {
                throw new IllegalArgumentException("lakeshard.server.tls.keystore: expected the path of a PKCS12 keystore when TLS is enabled");
            }
            tls = Optional.of(new Tls(Path.of(keystore), server.getString("tls.keystore-password")));
        }
        return new ServerSettings(server.getString("host"), server.getInt("port"), tls);
    }
}
