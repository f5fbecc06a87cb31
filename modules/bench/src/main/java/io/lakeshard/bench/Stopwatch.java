package io.lakeshard.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Repeated timings of one operation, reported as median and 95th percentile in milliseconds. */
final class Stopwatch {
    private final List<Double> millis = new ArrayList<>();

    interface Body {
        void run() throws Exception;
    }

    /** A body that times the part of itself that counts, and returns it in nanoseconds. */
    interface Part {
        long run() throws Exception;
    }

    /** Timings of the part of each run that {@code body} says counts (the rest is set-up). */
    static Stopwatch timeParts(int warmups, int runs, Part body) throws Exception {
        for (int i = 0; i < warmups; i++) {
            body.run();
        }
        Stopwatch stopwatch = new Stopwatch();
        for (int i = 0; i < runs; i++) {
            stopwatch.millis.add(body.run() / 1e6);
        }
        Collections.sort(stopwatch.millis);
        return stopwatch;
    }

    static Stopwatch time(int warmups, int runs, Body body) throws Exception {
        for (int i = 0; i < warmups; i++) {
            body.run();
        }
        Stopwatch stopwatch = new Stopwatch();
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            body.run();
            stopwatch.millis.add((System.nanoTime() - start) / 1e6);
        }
        Collections.sort(stopwatch.millis);
        return stopwatch;
    }

    double median() {
        return percentile(0.5);
    }

    double p95() {
        return percentile(0.95);
    }

    double p99() {
        return percentile(0.99);
    }

    private double percentile(double p) {
        return millis.get(Math.min(millis.size() - 1, (int) Math.ceil(p * millis.size()) - 1));
    }
}
