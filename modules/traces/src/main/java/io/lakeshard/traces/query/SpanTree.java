package io.lakeshard.traces.query;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A trace's spans as a tree, in depth-first order with siblings by start time: the order a waterfall draws. No span
 * is ever left out: a span whose parent is missing (not exported yet, sampled away, outside the time range read) is
 * an orphan placed as an extra root beside the real ones, and so is a span that only a cycle of parent ids leads
 * to (a broken exporter), so a malformed trace still shows every span once.
 */
public final class SpanTree {
    private SpanTree() {}

    /**
     * @param spans each span id once
     * @return one node per span, in depth-first order
     * @throws IllegalArgumentException if a span id is there twice
     */
    public static List<SpanNode> order(List<TraceSpan> spans) {
        Map<String, Integer> rows = new HashMap<>();
        for (int row = 0; row < spans.size(); row++) {
            if (rows.putIfAbsent(spans.get(row).spanId(), row) != null) {
                throw new IllegalArgumentException("span " + spans.get(row).spanId() + " is there twice");
            }
        }
        Comparator<Integer> byStart = Comparator.<Integer>comparingLong(row -> spans.get(row).startTimeUnixNano())
                .thenComparing(row -> spans.get(row).spanId());
        Map<Integer, List<Integer>> children = new HashMap<>();
        List<Integer> tops = new ArrayList<>();
        for (int row = 0; row < spans.size(); row++) {
            Integer parent = spans.get(row).parentSpanId().map(rows::get).orElse(null);
            if (parent == null) {
                tops.add(row);
            } else {
                children.computeIfAbsent(parent, p -> new ArrayList<>()).add(row);
            }
        }
        children.values().forEach(list -> list.sort(byStart));
        tops.sort(byStart);

        List<SpanNode> nodes = new ArrayList<>(spans.size());
        boolean[] placed = new boolean[spans.size()];
        for (int top : tops) {
            walk(spans, top, children, placed, nodes);
        }
        if (nodes.size() < spans.size()) {
            // Only spans on a cycle of parent ids (and their subtrees) are left: each cycle starts at its earliest span.
            List<Integer> left = new ArrayList<>();
            for (int row = 0; row < spans.size(); row++) {
                if (!placed[row]) {
                    left.add(row);
                }
            }
            left.sort(byStart);
            for (int row : left) {
                if (!placed[row]) {
                    walk(spans, row, children, placed, nodes);
                }
            }
        }
        return nodes;
    }

    /** Places {@code top} at depth 0 and everything under it, iteratively: a trace can be deeper than the stack. */
    private static void walk(List<TraceSpan> spans, int top, Map<Integer, List<Integer>> children, boolean[] placed,
            List<SpanNode> nodes) {
        Deque<int[]> stack = new ArrayDeque<>();
        stack.push(new int[] {top, 0});
        while (!stack.isEmpty()) {
            int[] next = stack.pop();
            int row = next[0];
            if (placed[row]) {
                continue;
            }
            placed[row] = true;
            TraceSpan span = spans.get(row);
            boolean root = span.parentSpanId().isEmpty();
            nodes.add(new SpanNode(span, row, next[1], nodes.size(), root, next[1] == 0 && !root));
            List<Integer> below = children.getOrDefault(row, List.of());
            for (int i = below.size() - 1; i >= 0; i--) {
                stack.push(new int[] {below.get(i), next[1] + 1});
            }
        }
    }
}
