package io.lakeshard.server.grpc;

import akka.grpc.GrpcServiceException;
import io.grpc.Status;
import io.lakeshard.cluster.Failures;
import io.lakeshard.cluster.registry.DatasetRegistry;
import io.lakeshard.query.QueryRejectedException;
import io.lakeshard.query.QueryTimeoutException;
import io.lakeshard.query.UnknownTableException;
import io.lakeshard.storage.dataset.InvalidInputException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failures as gRPC statuses a client can act on. Messages name the field and what was expected; internal errors
 * say nothing of paths or stack traces (those go to the log).
 */
public final class Errors {
    private static final Logger log = LoggerFactory.getLogger(Errors.class);

    private Errors() {}

    public static GrpcServiceException status(Throwable error) {
        Throwable cause = Failures.cause(error);
        if (cause instanceof GrpcServiceException grpc) {
            return grpc;
        }
        if (cause instanceof InvalidInputException invalid) {
            return new GrpcServiceException(Status.INVALID_ARGUMENT.withDescription(invalid.getMessage()));
        }
        if (cause instanceof UnknownTableException unknown) {
            return new GrpcServiceException(Status.NOT_FOUND.withDescription(unknown.getMessage()));
        }
        if (cause instanceof QueryRejectedException rejected) {
            return new GrpcServiceException(Status.INVALID_ARGUMENT.withDescription(rejected.getMessage()));
        }
        if (cause instanceof io.lakeshard.query.VersionNotAvailableException unavailable) {
            return new GrpcServiceException(Status.FAILED_PRECONDITION.withDescription(unavailable.getMessage()));
        }
        if (cause instanceof QueryTimeoutException timeout) {
            return new GrpcServiceException(Status.DEADLINE_EXCEEDED.withDescription(timeout.getMessage()));
        }
        if (cause instanceof TimeoutException || cause instanceof akka.pattern.AskTimeoutException) {
            return new GrpcServiceException(Status.UNAVAILABLE.withDescription("the cluster did not answer in time; retry"));
        }
        if (storageFailure(cause)) {
            log.warn("the shared storage failed a request", cause);
            return new GrpcServiceException(Status.UNAVAILABLE.withDescription(
                    "the shared storage did not answer; retry (a write with the same idempotency key)"));
        }
        log.error("request failed", cause);
        return new GrpcServiceException(Status.INTERNAL.withDescription("internal error; see the server log"));
    }

    public static GrpcServiceException rejected(DatasetRegistry.Rejected rejected) {
        Status status = switch (rejected.code()) {
            case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
            case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
            case NOT_FOUND -> Status.NOT_FOUND;
            case UNAVAILABLE -> Status.UNAVAILABLE;
        };
        return new GrpcServiceException(status.withDescription(rejected.message()));
    }

    /** The stage with any failure turned into its status. */
    public static <T> CompletionStage<T> mapped(CompletionStage<T> stage) {
        return stage.handle((value, error) -> {
            if (error != null) {
                throw status(error);
            }
            return value;
        });
    }

    /** Runs a call, failing the stage with a status if the call itself throws. */
    public static <T> CompletionStage<T> guarded(java.util.function.Supplier<CompletionStage<T>> call) {
        try {
            return mapped(call.get());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(status(e));
        }
    }

    /** An I/O failure anywhere in the chain: the object store or disk, which a retry may find back. */
    private static boolean storageFailure(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.io.IOException || cause instanceof java.io.UncheckedIOException) {
                return true;
            }
        }
        return false;
    }
}
