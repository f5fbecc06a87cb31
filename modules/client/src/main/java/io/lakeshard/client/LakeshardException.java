package io.lakeshard.client;

import io.grpc.Status;

/** A call the server refused or could not complete; {@link #code()} says what to do about it. */
public sealed class LakeshardException extends RuntimeException permits UnacknowledgedWriteException {
    private static final long serialVersionUID = 1L;

    private final Status.Code code;

    public LakeshardException(Status.Code code, String message, Throwable cause) {
        super(code + ": " + message, cause);
        this.code = code;
    }

    public Status.Code code() {
        return code;
    }

    /** Worth sending again unchanged (writes: with the same key). */
    public boolean retryable() {
        return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED;
    }
}
