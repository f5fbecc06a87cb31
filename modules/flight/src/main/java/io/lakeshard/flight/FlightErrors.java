package io.lakeshard.flight;

import io.lakeshard.service.ServiceErrors;
import io.lakeshard.service.ServiceException;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightRuntimeException;

/** Service failures as Flight statuses: the code maps one to one, the message is the service's. */
final class FlightErrors {
    private FlightErrors() {}

    static FlightRuntimeException status(Throwable error) {
        if (error instanceof FlightRuntimeException flight) {
            return flight;
        }
        ServiceException failure = ServiceErrors.map(error);
        CallStatus status = switch (failure.code()) {
            case INVALID_ARGUMENT -> CallStatus.INVALID_ARGUMENT;
            case NOT_FOUND -> CallStatus.NOT_FOUND;
            case ALREADY_EXISTS -> CallStatus.ALREADY_EXISTS;
            // Flight has no FAILED_PRECONDITION: the request is wrong for the data as it is.
            case FAILED_PRECONDITION -> CallStatus.INVALID_ARGUMENT;
            case UNAUTHENTICATED -> CallStatus.UNAUTHENTICATED;
            case PERMISSION_DENIED -> CallStatus.UNAUTHORIZED;
            case RESOURCE_EXHAUSTED -> CallStatus.RESOURCE_EXHAUSTED;
            case DEADLINE_EXCEEDED -> CallStatus.TIMED_OUT;
            case UNAVAILABLE -> CallStatus.UNAVAILABLE;
            case INTERNAL -> CallStatus.INTERNAL;
        };
        return status.withDescription(failure.getMessage()).toRuntimeException();
    }
}
