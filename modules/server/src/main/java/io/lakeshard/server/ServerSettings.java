package io.lakeshard.server;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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

    private static final String IDLE_TIMEOUT = "akka.http.server.idle-timeout";

    public static ServerSettings from(Config config) {
        checkIdleTimeout(config);
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

    /**
     * A call that waits for maintenance or a query sends nothing until it ends: a connection idle timeout shorter
     * than those waits would cut the call before its own deadline, and the client would see a transport error.
     */
    private static void checkIdleTimeout(Config config) {
        if ("infinite".equals(config.getString(IDLE_TIMEOUT))) {
            return;
        }
        Duration idle = config.getDuration(IDLE_TIMEOUT);
        for (String wait : List.of("lakeshard.server.default-maintenance-timeout", "lakeshard.server.default-query-timeout")) {
            if (config.getDuration(wait).compareTo(idle) >= 0) {
                throw new IllegalArgumentException(IDLE_TIMEOUT + ": expected longer than " + wait + " (" + config.getDuration(wait)
                        + "), got " + idle + "; a call waiting that long would be cut by the transport");
            }
        }
    }
}
