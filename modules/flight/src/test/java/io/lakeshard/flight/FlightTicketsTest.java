package io.lakeshard.flight;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.flight.FlightHandle.Kind;
import io.lakeshard.service.ServiceException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FlightTicketsTest {
    private static final byte[] SECRET = "a-secret-of-at-least-thirty-two-chars".getBytes(StandardCharsets.UTF_8);
    private static final Instant NOW = Instant.parse("2026-12-01T08:00:00Z");

    @Test
    void aSignedHandleComesBackWhole() {
        FlightTickets tickets = new FlightTickets(SECRET, Duration.ofMinutes(10), Clock.fixed(NOW, ZoneOffset.UTC));
        FlightHandle handle = tickets.issue(Kind.PREPARED, "acme", "SELECT ? AS x", Optional.of("SELECT 'it''s' AS x"), "q1");
        FlightHandle back = tickets.verify(tickets.sign(handle), Kind.PREPARED);
        assertEquals(handle, back);
        assertEquals(NOW.plus(Duration.ofMinutes(10)), back.expiresAt());
    }

    @Test
    void anExpiredTicketIsRefused() {
        FlightTickets issuer = new FlightTickets(SECRET, Duration.ofMinutes(10), Clock.fixed(NOW, ZoneOffset.UTC));
        byte[] ticket = issuer.sign(issuer.issue(Kind.TICKET, "acme", "SELECT 1", Optional.empty(), "q1"));
        FlightTickets later = new FlightTickets(SECRET, Duration.ofMinutes(10), Clock.fixed(NOW.plus(Duration.ofMinutes(10)), ZoneOffset.UTC));
        ServiceException expired = assertThrows(ServiceException.class, () -> later.verify(ticket, Kind.TICKET));
        assertEquals(ServiceException.Code.INVALID_ARGUMENT, expired.code());
        assertTrue(expired.getMessage().contains("expired"), expired.getMessage());
    }

    @Test
    void aChangedOrForeignOrMistypedTicketIsRefused() {
        FlightTickets tickets = new FlightTickets(SECRET, Duration.ofMinutes(10), Clock.fixed(NOW, ZoneOffset.UTC));
        byte[] ticket = tickets.sign(tickets.issue(Kind.TICKET, "acme", "SELECT 1", Optional.empty(), "q1"));
        for (int i = 0; i < ticket.length; i++) {
            byte[] changed = ticket.clone();
            changed[i] ^= 0x20;
            ServiceException refused = assertThrows(ServiceException.class, () -> tickets.verify(changed, Kind.TICKET), "byte " + i);
            assertEquals(ServiceException.Code.INVALID_ARGUMENT, refused.code());
        }
        FlightTickets otherCluster = new FlightTickets("another-secret-of-thirty-two-characters".getBytes(StandardCharsets.UTF_8),
                Duration.ofMinutes(10), Clock.fixed(NOW, ZoneOffset.UTC));
        assertTrue(assertThrows(ServiceException.class, () -> otherCluster.verify(ticket, Kind.TICKET)).getMessage()
                .contains("lakeshard.flight.ticket-secret"));
        assertTrue(assertThrows(ServiceException.class, () -> tickets.verify(ticket, Kind.PREPARED)).getMessage()
                .contains("expected a prepared statement handle"));
        assertThrows(ServiceException.class, () -> tickets.verify(new byte[] {1, 2, 3}, Kind.TICKET));
    }
}
