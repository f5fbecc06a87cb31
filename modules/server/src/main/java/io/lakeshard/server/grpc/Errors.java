package io.lakeshard.server.grpc;

import akka.grpc.GrpcServiceException;
import io.grpc.Status;
import io.lakeshard.service.ServiceErrors;
import io.lakeshard.service.ServiceException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** Service failures as gRPC statuses: the code maps one to one, the message is the service's. */
final class Errors {
    private Errors() {}

    static GrpcServiceException status(Throwable error) {
        if (error instanceof GrpcServiceException grpc) {
            return grpc;
        }
        ServiceException failure = ServiceErrors.map(error);
        Status status = switch (failure.code()) {
            case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
            case NOT_FOUND -> Status.NOT_FOUND;
            case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
            case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
            case UNAUTHENTICATED -> Status.UNAUTHENTICATED;
            case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
            case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
            case DEADLINE_EXCEEDED -> Status.DEADLINE_EXCEEDED;
            case UNAVAILABLE -> Status.UNAVAILABLE;
            case INTERNAL -> Status.INTERNAL;
        };
        return new GrpcServiceException(status.withDescription(failure.getMessage()));
    }

    /** Runs a call, failing the stage with a status whether the call throws or its stage fails. */
    static <T> CompletionStage<T> guarded(Supplier<CompletionStage<T>> call) {
        CompletionStage<T> stage;
        try {
            stage = call.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(status(e));
        }
        return stage.handle((value, error) -> {
            if (error != null) {
                throw status(error);
            }
            return value;
        });
    }
}
