package io.lakeshard.client;

import static java.util.Objects.requireNonNull;

import akka.stream.javadsl.SinkQueueWithCancel;
import io.lakeshard.client.sampling.Decision;
import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A sampler's decisions as they come ({@link LakeshardClient#decisions}), in order; close it to stop (the call is
 * cancelled). {@link #after()} is the cursor to resume from, on this client or another, after a failure or a restart.
 * For one thread at a time.
 */
public final class DecisionStream implements Iterator<Decision>, AutoCloseable {
    private final SinkQueueWithCancel<io.lakeshard.api.v1.Decision> queue;
    /** The pull under way, kept when {@link #poll} gave up waiting for it. */
    private CompletableFuture<Optional<io.lakeshard.api.v1.Decision>> pending;
    private Decision next;
    private boolean ended;
    private LakeshardException failure;
    private long after;

    DecisionStream(SinkQueueWithCancel<io.lakeshard.api.v1.Decision> queue, long after) {
        this.queue = requireNonNull(queue, "queue is null");
        this.after = after;
    }

    /**
     * Waits for the next decision or the stream's end: a followed stream ends only when it fails (the sampler deleted:
     * {@code NOT_FOUND}), one that does not follow once it has every decision made so far.
     *
     * @throws LakeshardException when the server refused the stream or it broke off
     */
    @Override
    public boolean hasNext() {
        fill(null);
        return next != null;
    }

    @Override
    public Decision next() {
        if (!hasNext()) {
            throw new NoSuchElementException("the decisions ended");
        }
        return take();
    }

    /**
     * The next decision if it comes within {@code timeout}; empty if none came in that time (the stream goes on: ask
     * again) or the stream ended ({@link #ended()}).
     *
     * @throws LakeshardException when the server refused the stream or it broke off
     */
    public Optional<Decision> poll(Duration timeout) {
        fill(requireNonNull(timeout, "timeout is null"));
        return next == null ? Optional.empty() : Optional.of(take());
    }

    /** Whether the stream ended: every decision it will have was handed out. */
    public boolean ended() {
        return ended && next == null;
    }

    /** The sequence of the last decision handed out (or the cursor the stream started after): resume after it. */
    public long after() {
        return after;
    }

    @Override
    public void close() {
        queue.cancel();
    }

    private Decision take() {
        Decision decision = next;
        next = null;
        after = decision.sequence();
        return decision;
    }

    /** Waits for the next message, {@code timeout} null for as long as it takes. */
    private void fill(Duration timeout) {
        if (failure != null) {
            throw failure;
        }
        if (next != null || ended) {
            return;
        }
        if (pending == null) {
            pending = queue.pull().toCompletableFuture();
        }
        Optional<io.lakeshard.api.v1.Decision> message;
        try {
            message = timeout == null ? pending.get() : pending.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            pending = null;
            ended = true;
            failure = LakeshardClient.failure(e.getCause());
            throw failure;
        }
        pending = null;
        if (message.isEmpty()) {
            ended = true;
        } else {
            next = SamplingMessages.decision(message.get());
        }
    }
}
