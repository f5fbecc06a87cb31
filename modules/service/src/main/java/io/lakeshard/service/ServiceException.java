package io.lakeshard.service;

import static java.util.Objects.requireNonNull;

/**
 * A failure a caller can act on, in terms every door maps to its own protocol (gRPC status, HTTP status, Flight
 * status). The message names the field and what was expected; it never holds storage paths or stack traces.
 */
public final class ServiceException extends RuntimeException {
    /** The kinds of failure, after gRPC's codes, which the other protocols' statuses map from. */
    public enum Code {
        INVALID_ARGUMENT,
        NOT_FOUND,
        ALREADY_EXISTS,
        FAILED_PRECONDITION,
        UNAUTHENTICATED,
        PERMISSION_DENIED,
        RESOURCE_EXHAUSTED,
        DEADLINE_EXCEEDED,
        UNAVAILABLE,
        INTERNAL
    }

    private final Code code;

    public ServiceException(Code code, String message) {
        this(code, message, null);
    }

    public ServiceException(Code code, String message, Throwable cause) {
        super(requireNonNull(message, "message is null"), cause);
        this.code = requireNonNull(code, "code is null");
    }

    public Code code() {
        return code;
    }

    /** True when the same request, sent again later, may succeed. */
    public boolean retryable() {
        return code == Code.UNAVAILABLE || code == Code.RESOURCE_EXHAUSTED;
    }
}
