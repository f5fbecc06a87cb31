package io.lakeshard.client.cli;

import io.lakeshard.client.traces.Span;
import io.lakeshard.client.traces.Trace;
import java.util.ArrayList;
import java.util.List;

/**
 * A trace drawn for a terminal: a header, then one line per span in tree order, indented with tree glyphs, and a bar
 * placed and scaled on the trace's time span across a fixed width, its duration, and marks for errors and orphans.
 *
 * <pre>
 * frontend: GET /checkout    │████████████████████████████████████████│  100 ms
 * ├─ cart: load-cart         │ ████████████                           │   30 ms
 * </pre>
 */
final class Waterfall {
    private static final int MAX_LABEL = 60;
    private static final char BAR = '█';

    private final int width;

    /** @param width the columns of the time axis */
    Waterfall(int width) {
        if (width < 10) {
            throw new IllegalArgumentException("--width must be at least 10, got " + width);
        }
        this.width = width;
    }

    List<String> lines(Trace trace) {
        List<Span> spans = trace.spans();
        long start = trace.startTimeUnixNano();
        long total = trace.durationNanos();
        long errors = spans.stream().filter(Span::error).count();
        List<String> lines = new ArrayList<>();
        lines.add("trace " + trace.traceId() + "  " + Durations.format(total) + "  " + spans.size() + (spans.size() == 1 ? " span" : " spans")
                + (errors == 0 ? "" : "  " + errors + (errors == 1 ? " error" : " errors"))
                + "  services: " + String.join(", ", trace.serviceNames())
                + (trace.truncated() ? "  (truncated: the trace has more spans)" : ""));
        List<String> labels = labels(spans);
        int labelWidth = Math.min(MAX_LABEL, labels.stream().mapToInt(String::length).max().orElse(0));
        List<String> durations = spans.stream().map(span -> Durations.format(span.durationNanos())).toList();
        int durationWidth = durations.stream().mapToInt(String::length).max().orElse(0);
        for (int i = 0; i < spans.size(); i++) {
            Span span = spans.get(i);
            StringBuilder line = new StringBuilder(pad(labels.get(i), labelWidth)).append(" │").append(bar(span, start, total)).append("│ ");
            line.append(" ".repeat(durationWidth - durations.get(i).length())).append(durations.get(i));
            if (span.error()) {
                line.append(" ✗ error");
            }
            if (span.orphan()) {
                line.append(" (orphan: parent ").append(span.parentSpanId()).append(" not in the trace)");
            }
            lines.add(line.toString());
        }
        return lines;
    }

    /**
     * Each span's tree prefix and name. A span's own glyph says whether a later sibling follows ({@code ├─}) or not
     * ({@code └─}); each ancestor's column carries a line down ({@code │}) while that ancestor has siblings to come.
     */
    private static List<String> labels(List<Span> spans) {
        boolean[] last = new boolean[spans.size()];
        // From the end: a span is its parent's last child unless a span at its depth comes before the subtree closes.
        List<Boolean> siblingFollows = new ArrayList<>();
        for (int i = spans.size() - 1; i >= 0; i--) {
            int depth = spans.get(i).depth();
            while (siblingFollows.size() > depth + 1) {
                siblingFollows.remove(siblingFollows.size() - 1);
            }
            while (siblingFollows.size() <= depth) {
                siblingFollows.add(false);
            }
            last[i] = !siblingFollows.get(depth);
            siblingFollows.set(depth, true);
        }
        List<String> labels = new ArrayList<>();
        List<Boolean> ancestorIsLast = new ArrayList<>();
        for (int i = 0; i < spans.size(); i++) {
            Span span = spans.get(i);
            int depth = span.depth();
            while (ancestorIsLast.size() > depth) {
                ancestorIsLast.remove(ancestorIsLast.size() - 1);
            }
            StringBuilder prefix = new StringBuilder();
            // Roots and orphans draw no glyph, so the columns start at depth 1.
            for (int level = 1; level < depth; level++) {
                prefix.append(ancestorIsLast.get(level) ? "   " : "│  ");
            }
            if (depth > 0) {
                prefix.append(last[i] ? "└─ " : "├─ ");
            }
            ancestorIsLast.add(last[i]);
            labels.add(prefix + span.serviceName() + ": " + span.name());
        }
        return labels;
    }

    /** The span's part of the time axis: from its start to its end, at least one column. */
    private String bar(Span span, long traceStart, long total) {
        int from;
        int to;
        if (total <= 0) {
            from = 0;
            to = 1;
        } else {
            from = (int) Math.min(width - 1, (span.startTimeUnixNano() - traceStart) * width / total);
            to = (int) Math.min(width, ceilDiv((span.endTimeUnixNano() - traceStart) * width, total));
            to = Math.max(to, from + 1);
        }
        return " ".repeat(from) + String.valueOf(BAR).repeat(to - from) + " ".repeat(width - to);
    }

    private static long ceilDiv(long dividend, long divisor) {
        return -Math.floorDiv(-dividend, divisor);
    }

    private static String pad(String label, int width) {
        if (label.length() > width) {
            return label.substring(0, width - 1) + "…";
        }
        return label + " ".repeat(width - label.length());
    }
}
