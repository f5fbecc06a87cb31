package io.lakeshard.client.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TokenBucketTest {
    private static final long MS = 1_000_000L;

    private final AtomicLong now = new AtomicLong(1_000 * MS);
    private final List<Long> sleeps = new ArrayList<>();
    /** Sleeping moves the clock on by exactly the sleep. */
    private final TokenBucket.Sleeper sleeper = nanos -> {
        sleeps.add(nanos);
        now.addAndGet(nanos);
    };

    @Test
    void aFullBurstGoesAtOnceThenEveryTakeWaitsItsShareInOneSleep() throws Exception {
        TokenBucket bucket = new TokenBucket(100, 100, now::get, sleeper);
        bucket.take(100);
        assertEquals(List.of(), sleeps, "the burst is there from the start");
        bucket.take(50);
        bucket.take(250);
        assertEquals(List.of(500 * MS, 2_500 * MS), sleeps, "50 and then 250 tokens at 100 a second, one sleep each");

        now.addAndGet(10_000 * MS);
        bucket.take(100);
        assertEquals(2, sleeps.size(), "ten idle seconds refilled the burst, and no more than the burst");
        bucket.take(1);
        assertEquals(10 * MS, sleeps.get(2));
    }

    @Test
    void overAStretchAtMostTheBurstPlusTheRateAreTaken() throws Exception {
        TokenBucket bucket = new TokenBucket(250, 250, now::get, sleeper);
        long start = now.get();
        long taken = 0;
        for (int page = 0; page < 40; page++) {
            bucket.take(70);
            taken += 70;
            double seconds = (now.get() - start) / 1e9;
            assertTrue(taken <= 250 + 250 * seconds + 1e-9, taken + " tokens after " + seconds + " s");
        }
        // 2,800 tokens: 250 at once, the other 2,550 at 250 a second.
        assertEquals(10_200 * MS, now.get() - start);
    }

    @Test
    void aTakeLargerThanTheBurstWaitsForTheDifference() throws Exception {
        TokenBucket bucket = new TokenBucket(10, 10, now::get, sleeper);
        bucket.take(1_000);
        assertEquals(List.of(99_000 * MS), sleeps);
    }

    @Test
    void aRateMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(0, 1, now::get, sleeper));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(Double.NaN, 1, now::get, sleeper));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(5, 0.5, now::get, sleeper));
    }
}
