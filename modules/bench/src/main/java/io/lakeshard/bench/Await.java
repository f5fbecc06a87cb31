package io.lakeshard.bench;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a state a benchmark needs before it measures: polled, with a deadline, never a bare sleep. */
final class Await {
    private Await() {}

    /** Polls {@code done} every {@code every} until it holds; fails with {@code failure} once {@code limit} has passed. */
    static void until(BooleanSupplier done, Duration limit, Duration every, String failure) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(failure);
            }
            Thread.sleep(every.toMillis());
        }
    }
}
