package io.lakeshard.flight;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/**
 * What a signed ticket or prepared-statement handle carries: everything a node needs to run the statement for the
 * tenant it was issued to, so that any node of the cluster can redeem it.
 *
 * @param sql the statement as the client sent it ({@code ?} placeholders included, for a prepared statement)
 * @param bound a prepared statement's SQL with its parameters bound as literals; empty until bound
 * @param id names the query that redeems a ticket (its label), so that a cancel can find it on any node
 */
record FlightHandle(Kind kind, String tenant, String sql, Optional<String> bound, String id, Instant expiresAt) {
    enum Kind {
        /** Redeemed by DoGet. */
        TICKET,
        /** A prepared statement: bound by DoPut, executed by GetFlightInfo. */
        PREPARED
    }

    FlightHandle {
        requireNonNull(kind, "kind is null");
        requireNonNull(tenant, "tenant is null");
        requireNonNull(sql, "sql is null");
        requireNonNull(bound, "bound is null");
        requireNonNull(id, "id is null");
        requireNonNull(expiresAt, "expiresAt is null");
    }

    /** The statement to run: bound if it was, else as sent. */
    String statement() {
        return bound.orElse(sql);
    }
}
