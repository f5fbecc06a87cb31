package io.lakeshard.cluster.table;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * The writer's blocking executor with a gate: while paused, blocking work waits here, so a test can hold a commit in
 * flight, send the entity more messages, and only then let the commit finish.
 */
final class GatedExecutor implements Executor {
    private final Executor delegate;
    private final List<Runnable> held = new ArrayList<>();
    private boolean paused;

    GatedExecutor(Executor delegate) {
        this.delegate = delegate;
    }

    @Override
    public void execute(Runnable task) {
        synchronized (this) {
            if (paused) {
                held.add(task);
                notifyAll();
                return;
            }
        }
        delegate.execute(task);
    }

    synchronized void pause() {
        paused = true;
    }

    void resume() {
        List<Runnable> released;
        synchronized (this) {
            paused = false;
            released = List.copyOf(held);
            held.clear();
        }
        released.forEach(delegate::execute);
    }

    /** Waits until {@code count} tasks are held at the gate. */
    synchronized void awaitHeld(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (held.size() < count) {
            long left = deadline - System.nanoTime();
            assertTrue(left > 0, "timed out waiting for " + count + " blocking tasks; " + held.size() + " arrived");
            wait(Math.max(1, left / 1_000_000));
        }
    }
}
