package io.lakeshard.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.pattern.AskTimeoutException;
import io.lakeshard.cluster.maintenance.MaintenanceTimeoutException;
import io.lakeshard.query.VersionNotAvailableException;
import io.lakeshard.service.ServiceException.Code;
import io.lakeshard.storage.table.UnsupportedTableFeatureException;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** What the layers below throw, as callers see it: a precondition, a deadline or a retry rather than a server fault. */
class ServiceErrorsTest {
    @Test
    void tablesAndVersionsThatCannotBeReadAreFailedPreconditionsWithTheirMessage() {
        ServiceException unsupported = ServiceErrors.map(new CompletionException(new UnsupportedTableFeatureException(
                "needs the reader feature deletionVectors", Set.of("deletionVectors"))));
        assertEquals(Code.FAILED_PRECONDITION, unsupported.code());
        assertEquals("needs the reader feature deletionVectors", unsupported.getMessage());

        ServiceException vacuumed = ServiceErrors.map(new VersionNotAvailableException("version 3 was vacuumed"));
        assertEquals(Code.FAILED_PRECONDITION, vacuumed.code());
    }

    @Test
    void maintenanceThatOutlivesItsWaitIsADeadlineThatSaysTheTaskGoesOn() {
        ServiceException late = ServiceErrors.map(new CompletionException(new MaintenanceTimeoutException(
                "OPTIMIZE of sales.eu.orders did not finish in time; it goes on, see the task list")));
        assertEquals(Code.DEADLINE_EXCEEDED, late.code());
        assertEquals("OPTIMIZE of sales.eu.orders did not finish in time; it goes on, see the task list", late.getMessage());

        ServiceException unanswered = ServiceErrors.map(new AskTimeoutException("Ask timed out on the registry"));
        assertEquals(Code.UNAVAILABLE, unanswered.code(), "a registry restarting after a journal failure");
        assertEquals("the cluster did not answer in time; retry", unanswered.getMessage());
    }
}
