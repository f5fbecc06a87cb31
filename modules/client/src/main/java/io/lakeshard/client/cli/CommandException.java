package io.lakeshard.client.cli;

/** A command that failed for a reason its message explains in full: printed as the message alone, like server errors. */
final class CommandException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CommandException(String message) {
        super(message);
    }

    CommandException(String message, Throwable cause) {
        super(message, cause);
    }
}
