package io.lakeshard.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.lakeshard.client.traces.Span;
import io.lakeshard.client.traces.Trace;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WaterfallTest {
    private static final long T0 = 1_700_000_000_000_000_000L;
    private static final long MS = 1_000_000L;

    private static Span span(String id, String parent, int depth, int order, boolean orphan, String service, String name,
            long startMs, long durationMicros, int status) {
        return new Span(id, parent, depth, order, parent.isEmpty(), orphan, service, name, T0 + startMs * MS, durationMicros * 1_000,
                status);
    }

    @Test
    void aTreeOfBarsOnTheTracesTimeAxis() {
        Trace trace = new Trace("0af7651916cd43dd8448eb211c80319c", List.of(
                span("a1", "", 0, 0, false, "frontend", "GET /checkout", 0, 100_000, 0),
                span("a2", "a1", 1, 1, false, "cart", "load-cart", 5, 30_000, 0),
                span("a3", "a2", 2, 2, false, "cart", "SELECT cart", 10, 15_000, 0),
                span("a4", "a1", 1, 3, false, "payments", "charge", 40, 50_000, 2),
                span("a6", "a4", 2, 4, false, "payments", "fraud-check", 41, 850, 0),
                span("a5", "a1", 1, 5, false, "frontend", "render", 92, 6_000, 1),
                span("b1", "ffffffffffffffff", 0, 6, true, "cart", "async-refresh", 95, 5_000, 0)), false, ByteString.EMPTY, Optional.empty());
        assertEquals(List.of(
                "trace 0af7651916cd43dd8448eb211c80319c  100 ms  7 spans  1 error  services: cart, frontend, payments",
                "frontend: GET /checkout     │████████████████████│ 100 ms",
                "├─ cart: load-cart          │ ██████             │  30 ms",
                "│  └─ cart: SELECT cart     │  ███               │  15 ms",
                "├─ payments: charge         │        ██████████  │  50 ms ✗ error",
                "│  └─ payments: fraud-check │        █           │ 850 µs",
                "└─ frontend: render         │                  ██│   6 ms",
                "cart: async-refresh         │                   █│   5 ms (orphan: parent ffffffffffffffff not in the trace)"),
                new Waterfall(20).lines(trace));
    }

    @Test
    void humanDurations() {
        assertEquals(List.of("850 ns", "1 µs", "12.5 µs", "100 ms", "1.25 s", "90 s"),
                List.of(850L, 1_000L, 12_500L, 100 * MS, 1_250 * MS, 90_000 * MS).stream().map(Durations::format).toList());
        assertEquals(100 * MS, Durations.parse("100ms", "--x").toNanos());
        assertEquals(1_500 * MS, Durations.parse("1.5s", "--x").toNanos());
        assertEquals(3_600_000 * MS, Durations.parse("1h", "--x").toNanos());
    }
}
