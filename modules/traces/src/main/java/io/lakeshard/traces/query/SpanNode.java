package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

/**
 * A span's place in its trace's tree.
 *
 * @param row the span's position in the list the tree was built from
 * @param depth 0 for roots and orphans
 * @param order the position in depth-first order
 * @param root the span has no parent
 * @param orphan the span names a parent that is not in the trace, or that only a cycle of parents leads to: it is
 *     placed as an extra root
 */
public record SpanNode(TraceSpan span, int row, int depth, int order, boolean root, boolean orphan) {
    public SpanNode {
        requireNonNull(span, "span is null");
    }
}
