package io.lakeshard.cluster.metrics;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * A node's counters, timers and gauges, rendered in the Prometheus text format. Small on purpose: names with at most
 * one label, so a scrape is one pass over a map.
 */
public final class Metrics {
    private final Map<String, Metric> metrics = new ConcurrentHashMap<>();

    private sealed interface Metric permits Counter, Timer, Gauge {
        String help();
    }

    private record Counter(String help, Map<String, LongAdder> byLabel) implements Metric {}

    private record Timer(String help, LongAdder count, DoubleAdder seconds) implements Metric {}

    private record Gauge(String help, LongSupplier value) implements Metric {}

    /** Adds {@code amount} to a counter; {@code label} is the value of its one label, or null. */
    public void count(String name, String help, String label, long amount) {
        Counter counter = (Counter) metrics.computeIfAbsent(name, n -> new Counter(help, new ConcurrentHashMap<>()));
        counter.byLabel().computeIfAbsent(label == null ? "" : label, l -> new LongAdder()).add(amount);
    }

    public void time(String name, String help, long nanos) {
        Timer timer = (Timer) metrics.computeIfAbsent(name, n -> new Timer(help, new LongAdder(), new DoubleAdder()));
        timer.count().increment();
        timer.seconds().add(nanos / 1e9);
    }

    public void gauge(String name, String help, LongSupplier value) {
        metrics.put(name, new Gauge(help, value));
    }

    /** The Prometheus text exposition of every metric. */
    public String render() {
        StringBuilder out = new StringBuilder();
        new TreeMap<>(metrics).forEach((name, metric) -> {
            out.append("# HELP ").append(name).append(' ').append(metric.help()).append('\n');
            if (metric instanceof Counter counter) {
                out.append("# TYPE ").append(name).append(" counter\n");
                new TreeMap<>(counter.byLabel()).forEach((label, value) -> out.append(name)
                        .append(label.isEmpty() ? "" : "{" + label + "}").append(' ').append(value.sum()).append('\n'));
            } else if (metric instanceof Timer timer) {
                out.append("# TYPE ").append(name).append(" summary\n");
                out.append(name).append("_count ").append(timer.count().sum()).append('\n');
                out.append(name).append("_sum ").append(timer.seconds().sum()).append('\n');
            } else if (metric instanceof Gauge gauge) {
                out.append("# TYPE ").append(name).append(" gauge\n");
                out.append(name).append(' ').append(gauge.value().getAsLong()).append('\n');
            }
        });
        return out.toString();
    }
}
