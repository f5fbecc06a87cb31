package io.lakeshard.storage.internal.write;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a row group's independent per-column tasks on the calling thread and, if it is free, one helper: both take the
 * next task until none is left. The caller never waits for a helper that has not started (it may be busy with
 * another file's row group), only for the task a started helper has in hand, and always for that one, however the
 * caller's own tasks end: the helper reads the batch and writes column writers the caller's caller closes next.
 */
final class ColumnTasks {
    private static final int NOT_STARTED = 0;
    private static final int HELPING = 1;
    private static final int TOO_LATE = 2;

    private ColumnTasks() {}

    /** @param helper where the second pair of hands comes from; null to run every task here */
    static void run(List<Runnable> tasks, Executor helper) {
        if (helper == null || tasks.size() < 2) {
            tasks.forEach(Runnable::run);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        AtomicInteger state = new AtomicInteger(NOT_STARTED);
        CompletableFuture<Void> helped = new CompletableFuture<>();
        try {
            helper.execute(() -> {
                if (!state.compareAndSet(NOT_STARTED, HELPING)) {
                    return;
                }
                try {
                    drain(tasks, next);
                    helped.complete(null);
                } catch (Throwable t) {
                    helped.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            // No helper today: this thread does it all.
        }
        Throwable failure = null;
        try {
            drain(tasks, next);
        } catch (Throwable t) {
            failure = t;
        }
        if (!state.compareAndSet(NOT_STARTED, TOO_LATE)) {
            try {
                helped.join();
            } catch (CompletionException e) {
                if (failure == null) {
                    failure = e.getCause();
                } else {
                    failure.addSuppressed(e.getCause());
                }
            }
        }
        if (failure instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (failure instanceof Error error) {
            throw error;
        }
        if (failure != null) {
            throw new IllegalStateException("a column task failed", failure);
        }
    }

    private static void drain(List<Runnable> tasks, AtomicInteger next) {
        try {
            for (int task = next.getAndIncrement(); task < tasks.size(); task = next.getAndIncrement()) {
                tasks.get(task).run();
            }
        } catch (RuntimeException | Error e) {
            // Nobody starts another task once one failed.
            next.set(tasks.size());
            throw e;
        }
    }
}
