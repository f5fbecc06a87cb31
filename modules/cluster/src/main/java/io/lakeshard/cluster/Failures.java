package io.lakeshard.cluster;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** The failure itself, out of the wrappers futures put around it. */
public final class Failures {
    private Failures() {}

    public static Throwable cause(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** The cause's message, never null. */
    public static String message(Throwable error) {
        return String.valueOf(cause(error).getMessage());
    }
}
