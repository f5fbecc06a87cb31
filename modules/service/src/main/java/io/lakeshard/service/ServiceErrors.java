package io.lakeshard.service;

import akka.pattern.AskTimeoutException;
import io.lakeshard.cluster.Failures;
import io.lakeshard.cluster.maintenance.MaintenanceTimeoutException;
import io.lakeshard.query.QueryMemoryException;
import io.lakeshard.query.QueryRejectedException;
import io.lakeshard.query.QueryTimeoutException;
import io.lakeshard.query.UnknownTableException;
import io.lakeshard.query.VersionNotAvailableException;
import io.lakeshard.service.ServiceException.Code;
import io.lakeshard.storage.StorageErrors;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.table.ReadOnlyTableException;
import io.lakeshard.storage.table.UnsupportedTableFeatureException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one translation of what the layers below throw into {@link ServiceException}s. Internal failures are logged
 * here with their stack trace and reach the caller as a message that reveals nothing.
 */
public final class ServiceErrors {
    private static final Logger log = LoggerFactory.getLogger(ServiceErrors.class);

    private ServiceErrors() {}

    public static ServiceException map(Throwable error) {
        Throwable cause = Failures.cause(error);
        if (cause instanceof ServiceException service) {
            return service;
        }
        if (cause instanceof InvalidInputException invalid) {
            return new ServiceException(Code.INVALID_ARGUMENT, invalid.getMessage());
        }
        if (cause instanceof UnknownTableException unknown) {
            return new ServiceException(Code.NOT_FOUND, unknown.getMessage());
        }
        if (cause instanceof QueryRejectedException rejected) {
            return new ServiceException(Code.INVALID_ARGUMENT, rejected.getMessage());
        }
        if (cause instanceof QueryMemoryException memory) {
            return new ServiceException(Code.RESOURCE_EXHAUSTED, memory.getMessage());
        }
        if (cause instanceof VersionNotAvailableException unavailable) {
            return new ServiceException(Code.FAILED_PRECONDITION, unavailable.getMessage());
        }
        if (cause instanceof UnsupportedTableFeatureException unsupported) {
            return new ServiceException(Code.FAILED_PRECONDITION, unsupported.getMessage());
        }
        if (cause instanceof ReadOnlyTableException readOnly) {
            return new ServiceException(Code.FAILED_PRECONDITION, readOnly.getMessage());
        }
        if (cause instanceof QueryTimeoutException timeout) {
            return new ServiceException(Code.DEADLINE_EXCEEDED, timeout.getMessage());
        }
        if (cause instanceof MaintenanceTimeoutException late) {
            return new ServiceException(Code.DEADLINE_EXCEEDED, late.getMessage());
        }
        if (cause instanceof TimeoutException || cause instanceof AskTimeoutException) {
            return new ServiceException(Code.UNAVAILABLE, "the cluster did not answer in time; retry");
        }
        if (StorageErrors.isUnavailable(cause)) {
            log.warn("the shared storage failed a request", cause);
            return new ServiceException(Code.UNAVAILABLE,
                    "the shared storage did not answer; retry (a write with the same idempotency key)");
        }
        log.error("request failed", cause);
        return new ServiceException(Code.INTERNAL, "internal error; see the server log");
    }
}
