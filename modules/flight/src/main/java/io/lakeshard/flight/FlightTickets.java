package io.lakeshard.flight;

import static java.util.Objects.requireNonNull;

import io.lakeshard.flight.FlightHandle.Kind;
import io.lakeshard.service.ServiceException;
import io.lakeshard.service.ServiceException.Code;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs and checks {@link FlightHandle}s: the handle's fields, then an HMAC-SHA256 of them under the cluster's
 * secret. A client can read its own tickets (it sent the SQL) but cannot change one, make one for another tenant,
 * or keep one past its expiry.
 */
final class FlightTickets {
    private static final byte VERSION = 1;
    private static final String HMAC = "HmacSHA256";
    private static final int MAC_BYTES = 32;

    private final SecretKeySpec key;
    private final Duration ttl;
    private final Clock clock;

    FlightTickets(byte[] secret, Duration ttl, Clock clock) {
        requireNonNull(secret, "secret is null");
        this.key = new SecretKeySpec(secret.clone(), HMAC);
        this.ttl = requireNonNull(ttl, "ttl is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** The configured secret, or a random one for this process when none is. */
    static FlightTickets from(FlightSettings settings, Clock clock) {
        byte[] secret;
        if (settings.ticketSecret().isPresent()) {
            secret = settings.ticketSecret().get().getBytes(StandardCharsets.UTF_8);
        } else {
            secret = new byte[MAC_BYTES];
            new SecureRandom().nextBytes(secret);
        }
        return new FlightTickets(secret, settings.ticketTtl(), clock);
    }

    /** A new handle of the tenant, expiring after the configured time to live. */
    FlightHandle issue(Kind kind, String tenant, String sql, Optional<String> bound, String id) {
        return new FlightHandle(kind, tenant, sql, bound, id, clock.instant().plus(ttl));
    }

    byte[] sign(FlightHandle handle) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeByte(handle.kind().ordinal());
            writeString(out, handle.tenant());
            writeString(out, handle.sql());
            out.writeBoolean(handle.bound().isPresent());
            writeString(out, handle.bound().orElse(""));
            writeString(out, handle.id());
            out.writeLong(handle.expiresAt().toEpochMilli());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] body = bytes.toByteArray();
        byte[] signed = Arrays.copyOf(body, body.length + MAC_BYTES);
        System.arraycopy(mac(body), 0, signed, body.length, MAC_BYTES);
        return signed;
    }

    /**
     * The handle, if this cluster signed it, it is of the expected kind and it has not expired.
     *
     * @throws ServiceException INVALID_ARGUMENT otherwise, saying which
     */
    FlightHandle verify(byte[] signed, Kind expected) {
        String what = expected == Kind.TICKET ? "ticket" : "prepared statement handle";
        if (signed.length <= MAC_BYTES + 1) {
            throw invalid(what + " is not one this server issued");
        }
        byte[] body = Arrays.copyOf(signed, signed.length - MAC_BYTES);
        byte[] mac = Arrays.copyOfRange(signed, signed.length - MAC_BYTES, signed.length);
        if (!MessageDigest.isEqual(mac(body), mac)) {
            throw invalid(what + " is not one this cluster issued, or was changed (every node needs the same "
                    + "lakeshard.flight.ticket-secret)");
        }
        FlightHandle handle;
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(body))) {
            if (in.readByte() != VERSION) {
                throw invalid(what + " is of another server version; ask for a new one");
            }
            Kind kind = Kind.values()[in.readByte()];
            String tenant = readString(in);
            String sql = readString(in);
            boolean isBound = in.readBoolean();
            String bound = readString(in);
            String id = readString(in);
            Instant expiresAt = Instant.ofEpochMilli(in.readLong());
            handle = new FlightHandle(kind, tenant, sql, isBound ? Optional.of(bound) : Optional.empty(), id, expiresAt);
        } catch (IOException | RuntimeException e) {
            throw invalid(what + " is malformed");
        }
        if (handle.kind() != expected) {
            throw invalid("expected a " + what + ", got a " + (expected == Kind.TICKET ? "prepared statement handle" : "ticket"));
        }
        if (!clock.instant().isBefore(handle.expiresAt())) {
            throw invalid(what + " expired at " + handle.expiresAt() + " (lakeshard.flight.ticket-ttl); call GetFlightInfo again");
        }
        return handle;
    }

    private byte[] mac(byte[] body) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(key);
            return mac.doFinal(body);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ServiceException invalid(String message) {
        return new ServiceException(Code.INVALID_ARGUMENT, message);
    }

    // Length-prefixed UTF-8: writeUTF stops at 64 KiB, and statements may be longer.
    private static void writeString(DataOutputStream out, String value) throws IOException {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static String readString(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > in.available()) {
            throw new IOException("bad length");
        }
        return new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }
}
