package io.lakeshard.service.auth;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import io.lakeshard.service.Principal;
import io.lakeshard.service.ServiceException;
import io.lakeshard.service.ServiceException.Code;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * API keys to principals. Keys are configured by their SHA-256, never in clear. A door hands in what the caller
 * presented — the key itself, or an HTTP-style {@code authorization} header value, which gRPC, OTLP/HTTP and Flight
 * all carry — and gets a principal or {@code UNAUTHENTICATED}.
 */
public final class ApiKeys {
    private static final String BEARER = "Bearer ";

    private final Map<String, Principal> byHash;

    public ApiKeys(Map<String, Principal> byHash) {
        this.byHash = Map.copyOf(requireNonNull(byHash, "byHash is null"));
    }

    /** {@code lakeshard.server.api-keys = [{ tenant = "acme", sha256 = "...", admin = false }]}. */
    public static ApiKeys from(Config config) {
        Map<String, Principal> keys = new HashMap<>();
        for (Config key : config.getConfigList("lakeshard.server.api-keys")) {
            String tenant = key.getString("tenant");
            boolean admin = key.hasPath("admin") && key.getBoolean("admin");
            keys.put(key.getString("sha256").toLowerCase(Locale.ROOT), admin ? Principal.admin(tenant) : Principal.tenant(tenant));
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

    /** The principal of an {@code authorization: Bearer <key>} header value, absent when the caller sent none. */
    public Principal authenticateHeader(Optional<String> authorization) {
        if (authorization.isEmpty() || !authorization.get().regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            throw new ServiceException(Code.UNAUTHENTICATED, "missing API key: send the header 'authorization: Bearer <key>'");
        }
        return authenticate(authorization.get().substring(BEARER.length()).trim());
    }

    public Principal authenticate(String key) {
        Principal principal = byHash.get(sha256(requireNonNull(key, "key is null")));
        if (principal == null) {
            throw new ServiceException(Code.UNAUTHENTICATED, "unknown API key");
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
