package io.lakeshard.cluster.node;

import java.util.concurrent.ForkJoinPool;

/**
 * Sizes the JVM's common pool before anything uses it. akka-grpc hands every request and response to Java as a
 * CompletableFuture made from a Scala future, whose callbacks always run asynchronously on the default executor: the
 * common pool, except that with one or two cores its parallelism is 1 and CompletableFuture then starts a new thread
 * for every callback (profiled: ~4,300 threads in 32 s of 1,000-row writes on two cores). Two is the least at which
 * the pool is used.
 */
public final class CommonPool {
    private static final String PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    private CommonPool() {}

    /** Call first thing in {@code main}: the pool reads its size once, when it is first used. A size given is kept. */
    public static void sizeForCallbacks() {
        if (System.getProperty(PARALLELISM) != null) {
            return;
        }
        System.setProperty(PARALLELISM, Integer.toString(Math.max(2, Runtime.getRuntime().availableProcessors() - 1)));
        if (ForkJoinPool.getCommonPoolParallelism() < 2) {
            // Slower, not wrong: something (an agent, say) used the pool before main. Logging is not set up yet.
            System.err.println("warning: the common pool was in use before main could size it; set -D" + PARALLELISM + "=2");
        }
    }
}
