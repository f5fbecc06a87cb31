package io.lakeshard.server.auth;

import akka.grpc.GrpcServiceException;
import akka.grpc.javadsl.Metadata;
import com.typesafe.config.Config;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * API keys to tenants. Keys are configured by their SHA-256, never in clear, and presented as
 * {@code authorization: Bearer <key>}.
 */
public final class ApiKeys {
    private final Map<String, Principal> byHash;

    /** Who is calling: a tenant, and whether it may use the admin API. */
    public record Principal(String tenant, boolean admin) {}

    public ApiKeys(Map<String, Principal> byHash) {
        this.byHash = Map.copyOf(byHash);
    }

    /** {@code lakeshard.server.api-keys = [{ tenant = "acme", sha256 = "...", admin = false }]}. */
    public static ApiKeys fromConfig(Config config) {
        Map<String, Principal> keys = new HashMap<>();
        for (Config key : config.getConfigList("lakeshard.server.api-keys")) {
            keys.put(key.getString("sha256").toLowerCase(java.util.Locale.ROOT),
                    new Principal(key.getString("tenant"), key.hasPath("admin") && key.getBoolean("admin")));
        }
        return new ApiKeys(keys);
    }

    public boolean isEmpty() {
        return byHash.isEmpty();
    }

    public ApiKeys with(String key, Principal principal) {
        Map<String, Principal> keys = new HashMap<>(byHash);
        keys.put(sha256(key), principal);
        return new ApiKeys(keys);
    }

    public Principal authenticate(Metadata metadata) {
        Optional<String> header = metadata.getText("authorization");
        if (header.isEmpty() || !header.get().regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new GrpcServiceException(Status.UNAUTHENTICATED.withDescription(
                    "missing API key: send the header 'authorization: Bearer <key>'"));
        }
        Principal principal = byHash.get(sha256(header.get().substring(7).trim()));
        if (principal == null) {
            throw new GrpcServiceException(Status.UNAUTHENTICATED.withDescription("unknown API key"));
        }
        return principal;
    }

    public static String sha256(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
