package io.lakeshard.service;

import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who changed what: one log line per operation that changes a tenant's datasets or runs maintenance, on the
 * {@code lakeshard.audit} logger (route it to its own appender to keep it). Writes and queries are counted in the
 * metrics instead: at their rate a line each would drown the rest.
 */
public final class Audit {
    private static final Logger log = LoggerFactory.getLogger("lakeshard.audit");

    private Audit() {}

    /** The stage, recorded when it ends; a failure is mapped to its {@link ServiceException} on the way. */
    public static <T> CompletionStage<T> audited(Principal principal, String action, String target, CompletionStage<T> stage) {
        return stage.handle((value, error) -> {
            if (error != null) {
                ServiceException failure = ServiceErrors.map(error);
                record(principal, action, target, failure.code().name());
                throw failure;
            }
            record(principal, action, target, "ok");
            return value;
        });
    }

    public static void record(Principal principal, String action, String target, String outcome) {
        log.atInfo()
                .addKeyValue("tenant", principal.tenant())
                .addKeyValue("action", action)
                .addKeyValue("target", target)
                .addKeyValue("outcome", outcome)
                .log("{} {} {}: {}", principal.tenant(), action, target, outcome);
    }
}
