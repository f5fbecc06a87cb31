package io.lakeshard.client.replay;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A rate limit as a token bucket: tokens accrue at a steady rate up to a burst, and taking more than the bucket holds
 * waits, asleep in one sleep, until the debt is paid. Over any stretch of time at most {@code burst + rate × time}
 * tokens are taken. Kept as the time the bucket will be full again (the generic cell rate algorithm), in whole
 * nanoseconds, so waits come out exact. Not thread-safe.
 */
final class TokenBucket {
    /** How a wait is spent: {@code Thread.sleep}, or a test's clock moved on. */
    @FunctionalInterface
    interface Sleeper {
        void sleep(long nanos) throws InterruptedException;
    }

    private final double nanosPerToken;
    private final long burstNanos;
    private final LongSupplier clock;
    private final Sleeper sleeper;
    /** When the bucket is full again; at or before now, it is full. */
    private long fullAt;

    /** A full bucket of {@code burst} tokens that fills at {@code perSecond}. */
    TokenBucket(double perSecond, double burst) {
        this(perSecond, burst, System::nanoTime, TimeUnit.NANOSECONDS::sleep);
    }

    TokenBucket(double perSecond, double burst, LongSupplier clock, Sleeper sleeper) {
        if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException("the rate must be a positive number, not " + perSecond);
        }
        if (!(burst >= 1)) {
            throw new IllegalArgumentException("the burst must be at least 1, not " + burst);
        }
        this.nanosPerToken = 1e9 / perSecond;
        this.burstNanos = Math.round(burst * nanosPerToken);
        this.clock = clock;
        this.sleeper = sleeper;
        this.fullAt = clock.getAsLong();
    }

    /** Takes {@code tokens}, first waiting for as long as the bucket is short of them. */
    void take(long tokens) throws InterruptedException {
        long now = clock.getAsLong();
        fullAt = Math.max(fullAt, now) + Math.round(tokens * nanosPerToken);
        // The debt beyond the burst is what must be waited out.
        long until = fullAt - burstNanos;
        while (now < until) {
            sleeper.sleep(until - now);
            now = clock.getAsLong();
        }
    }
}
