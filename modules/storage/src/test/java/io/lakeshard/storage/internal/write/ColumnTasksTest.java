package io.lakeshard.storage.internal.write;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The two-pair-of-hands rule a row group's columns are shared out by: every task once, and never a wait in vain. */
class ColumnTasksTest {
    private final ExecutorService pool = Executors.newSingleThreadExecutor();

    @AfterEach
    void tearDown() {
        pool.shutdownNow();
    }

    @Test
    void bothThreadsTakeTasksAndEachRunsOnce() throws Exception {
        // The first task each thread takes waits for the other's first: both must have taken one.
        CountDownLatch both = new CountDownLatch(2);
        Set<String> threads = ConcurrentHashMap.newKeySet();
        AtomicInteger[] runs = new AtomicInteger[40];
        List<Runnable> tasks = new ArrayList<>();
        for (int i = 0; i < runs.length; i++) {
            AtomicInteger count = runs[i] = new AtomicInteger();
            boolean first = i < 2;
            tasks.add(() -> {
                threads.add(Thread.currentThread().getName());
                count.incrementAndGet();
                if (first) {
                    both.countDown();
                    awaitQuietly(both);
                }
            });
        }
        ColumnTasks.run(tasks, pool);
        assertEquals(2, threads.size(), "the caller and the helper: " + threads);
        for (AtomicInteger count : runs) {
            assertEquals(1, count.get());
        }
    }

    @Test
    void aHelperThatNeverStartsIsNotWaitedFor() {
        AtomicInteger ran = new AtomicInteger();
        List<Runnable> tasks = List.of(ran::incrementAndGet, ran::incrementAndGet, ran::incrementAndGet);
        ColumnTasks.run(tasks, runnable -> {
            // Queued behind other work, never run while the caller writes.
        });
        assertEquals(3, ran.get());
    }

    @Test
    void theCallerWaitsForTheHelpersTaskWhenItsOwnFails() throws Exception {
        CountDownLatch helperHasOne = new CountDownLatch(1);
        AtomicBoolean helperDone = new AtomicBoolean();
        OutOfMemoryError error = new OutOfMemoryError("the caller's task");
        List<Runnable> tasks = List.of(
                () -> {
                    helperHasOne.countDown();
                    // Not a synchronisation: a caller that did not wait would return while this still runs.
                    sleepQuietly(200);
                    helperDone.set(true);
                },
                () -> {
                    awaitQuietly(helperHasOne);
                    throw error;
                },
                () -> {
                    throw new AssertionError("no task starts after one failed");
                });
        // The helper takes the first task; the caller the second, which fails once the helper holds the first.
        CountDownLatch helperStarted = new CountDownLatch(1);
        Error thrown = assertThrows(OutOfMemoryError.class, () -> ColumnTasks.run(tasks, runnable -> pool.execute(() -> {
            helperStarted.countDown();
            runnable.run();
        })), "an Error stays an Error");
        assertSame(error, thrown);
        assertTrue(helperStarted.await(5, TimeUnit.SECONDS));
        assertTrue(helperDone.get(), "the helper's task ended before the caller returned");
    }

    @Test
    void aHelpersFailureReachesTheCallerAsItWas() {
        IllegalArgumentException failure = new IllegalArgumentException("a column failed");
        CountDownLatch helperFailed = new CountDownLatch(1);
        // The caller's task waits for the helper's to fail: the helper must take one.
        Runnable task = () -> {
            if (Thread.currentThread().getName().startsWith("pool")) {
                helperFailed.countDown();
                throw failure;
            }
            awaitQuietly(helperFailed);
        };
        List<Runnable> tasks = List.of(task, task);
        RuntimeException thrown = assertThrows(RuntimeException.class, () -> ColumnTasks.run(tasks, pool));
        assertSame(failure, thrown);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the other thread never came");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
