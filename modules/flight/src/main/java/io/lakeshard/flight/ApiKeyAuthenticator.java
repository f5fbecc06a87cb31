package io.lakeshard.flight;

import static java.util.Objects.requireNonNull;

import io.lakeshard.service.Principal;
import io.lakeshard.service.ServiceException;
import io.lakeshard.service.ServiceException.Code;
import io.lakeshard.service.auth.ApiKeys;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import org.apache.arrow.flight.CallHeaders;
import org.apache.arrow.flight.auth2.Auth2Constants;
import org.apache.arrow.flight.auth2.CallHeaderAuthenticator;

/**
 * Authenticates every Flight call by the service's API keys: {@code authorization: Bearer <key>}, or basic auth with
 * the key as the password (any user name), which is what JDBC tools ask for. A basic-auth call (the handshake) gets
 * the key back as its bearer token: the token is the key, so it is good on every node. The peer identity is the
 * principal's tenant.
 *
 * <p>Every answer also sets the key as a session cookie, and a call without an {@code authorization} header is
 * authenticated by that cookie: ADBC's Java driver sends its credentials on most calls but not on the DoPut of a
 * prepared statement's rows (its bulk ingest), which it makes with no call options; with its cookie middleware on
 * ({@code adbc.flight.sql.rpc.with_cookie_middleware}) the cookie carries them.
 */
final class ApiKeyAuthenticator implements CallHeaderAuthenticator {
    private static final String COOKIE = "lakeshard_key";

    private final ApiKeys keys;

    ApiKeyAuthenticator(ApiKeys keys) {
        this.keys = requireNonNull(keys, "keys is null");
    }

    @Override
    public AuthResult authenticate(CallHeaders headers) {
        String authorization = headers.get(Auth2Constants.AUTHORIZATION_HEADER);
        if (authorization == null) {
            authorization = cookieKey(headers).map(key -> Auth2Constants.BEARER_PREFIX + key).orElse(null);
        }
        try {
            if (authorization != null && authorization.regionMatches(true, 0, Auth2Constants.BASIC_PREFIX, 0,
                    Auth2Constants.BASIC_PREFIX.length())) {
                String key = password(authorization.substring(Auth2Constants.BASIC_PREFIX.length()).trim());
                Principal principal = keys.authenticate(key);
                return new AuthResult() {
                    @Override
                    public String getPeerIdentity() {
                        return principal.tenant();
                    }

                    @Override
                    public void appendToOutgoingHeaders(CallHeaders outgoing) {
                        if (!outgoing.containsKey(Auth2Constants.AUTHORIZATION_HEADER)) {
                            outgoing.insert(Auth2Constants.AUTHORIZATION_HEADER, Auth2Constants.BEARER_PREFIX + key);
                        }
                        setCookie(outgoing, key);
                    }
                };
            }
            Principal principal = keys.authenticateHeader(Optional.ofNullable(authorization));
            String key = authorization.substring(Auth2Constants.BEARER_PREFIX.length()).trim();
            return new AuthResult() {
                @Override
                public String getPeerIdentity() {
                    return principal.tenant();
                }

                @Override
                public void appendToOutgoingHeaders(CallHeaders outgoing) {
                    setCookie(outgoing, key);
                }
            };
        } catch (ServiceException e) {
            throw FlightErrors.status(e);
        }
    }

    private static void setCookie(CallHeaders outgoing, String key) {
        if (!outgoing.containsKey("set-cookie")) {
            outgoing.insert("set-cookie", COOKIE + "=" + key + "; HttpOnly");
        }
    }

    private static Optional<String> cookieKey(CallHeaders headers) {
        String cookies = headers.get("cookie");
        if (cookies == null) {
            return Optional.empty();
        }
        for (String cookie : cookies.split(";")) {
            String trimmed = cookie.trim();
            if (trimmed.startsWith(COOKIE + "=")) {
                return Optional.of(trimmed.substring(COOKIE.length() + 1));
            }
        }
        return Optional.empty();
    }

    private static String password(String encoded) {
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ServiceException(Code.UNAUTHENTICATED, "basic auth: expected base64 of user:password");
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            throw new ServiceException(Code.UNAUTHENTICATED, "basic auth: expected user:password");
        }
        return decoded.substring(colon + 1);
    }
}
