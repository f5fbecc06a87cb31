package io.lakeshard.query.engine;

import io.lakeshard.query.QueryMemoryException;
import io.lakeshard.query.QueryRejectedException;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * DuckDB's errors sorted into the user's and ours. DuckDB names the kind of an error at the start of its message
 * ({@code "Binder Error: ..."}); the kinds below are about the statement or its values, which the user wrote, so
 * they are refused with DuckDB's own message (storage paths removed). Anything else stays a failure of the server.
 */
final class DuckErrors {
    /** The kinds of DuckDB error that a statement as written causes. */
    private static final List<String> USER_ERRORS = List.of(
            "Parser Error", "Syntax Error", "Binder Error", "Catalog Error", "Conversion Error", "Invalid Input Error",
            "Out of Range Error", "Mismatch Type Error", "Not implemented Error", "Invalid type Error", "Constraint Error");
    private static final String OUT_OF_MEMORY = "Out of Memory Error";

    private DuckErrors() {}

    /**
     * The user's mistake or the memory limit, as the exception the layers above map; empty when the failure is not
     * one of them.
     *
     * @param scrub removes storage paths from the message
     */
    static Optional<RuntimeException> classify(Throwable failure, UnaryOperator<String> scrub) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            String message = cause.getMessage();
            if (message == null) {
                continue;
            }
            if (message.contains(OUT_OF_MEMORY)) {
                return Optional.of(new QueryMemoryException(scrub.apply(fromKind(message, OUT_OF_MEMORY))
                        + " (the query needs more memory than the server allows; narrow it, or retry when fewer queries run)", failure));
            }
            for (String kind : USER_ERRORS) {
                if (message.contains(kind + ":")) {
                    return Optional.of(new QueryRejectedException(scrub.apply(fromKind(message, kind)), failure));
                }
            }
        }
        return Optional.empty();
    }

    /** The message from DuckDB's kind on: the JDBC driver and Arrow put their own prefixes before it. */
    private static String fromKind(String message, String kind) {
        return message.substring(message.indexOf(kind)).trim();
    }
}
