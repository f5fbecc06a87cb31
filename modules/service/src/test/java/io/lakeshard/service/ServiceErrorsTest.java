package io.lakeshard.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lakeshard.query.VersionNotAvailableException;
import io.lakeshard.service.ServiceException.Code;
import io.lakeshard.storage.table.UnsupportedTableFeatureException;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** A table that cannot be read as asked is the caller's precondition, not a server fault. */
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
}
