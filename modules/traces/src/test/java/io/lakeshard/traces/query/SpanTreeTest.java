package io.lakeshard.traces.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SpanTreeTest {
    private static TraceSpan span(String id, String parent, long start) {
        return new TraceSpan(id, Optional.ofNullable(parent), "svc", "op-" + id, start, 10, 0);
    }

    /** "id depth root/orphan" per node, in order. */
    private static List<String> shape(List<SpanNode> nodes) {
        return nodes.stream().map(node -> node.span().spanId() + " " + node.depth()
                + (node.root() ? " root" : "") + (node.orphan() ? " orphan" : "")).toList();
    }

    @Test
    void depthFirstWithSiblingsByStartTime() {
        // Given out of order: the tree decides, not the input.
        List<SpanNode> nodes = SpanTree.order(List.of(
                span("c", "a", 30), span("b", "a", 10), span("a", null, 0), span("d", "b", 20), span("e", "b", 15)));
        assertEquals(List.of("a 0 root", "b 1", "e 2", "d 2", "c 1"), shape(nodes));
        assertEquals(List.of(0, 1, 2, 3, 4), nodes.stream().map(SpanNode::order).toList());
        assertEquals(List.of(2, 1, 4, 3, 0), nodes.stream().map(SpanNode::row).toList(), "rows point back at the input");
    }

    @Test
    void orphansAreExtraRootsByStartTime() {
        List<SpanNode> nodes = SpanTree.order(List.of(
                span("a", null, 0), span("x", "missing", 5), span("y", "x", 6), span("b", "a", 7), span("z", "gone", -1)));
        assertEquals(List.of("z 0 orphan", "a 0 root", "b 1", "x 0 orphan", "y 1"), shape(nodes));
    }

    @Test
    void aCycleOfParentsIsPlacedNotDropped() {
        List<SpanNode> nodes = SpanTree.order(List.of(
                span("a", null, 0), span("p", "q", 10), span("q", "p", 20), span("r", "q", 30), span("s", "s", 40)));
        assertEquals(List.of("a 0 root", "p 0 orphan", "q 1", "r 2", "s 0 orphan"), shape(nodes));
    }

    @Test
    void aDeepTraceNeedsNoDeepStack() {
        List<TraceSpan> chain = new ArrayList<>();
        chain.add(span("s0", null, 0));
        for (int i = 1; i < 100_000; i++) {
            chain.add(span("s" + i, "s" + (i - 1), i));
        }
        List<SpanNode> nodes = SpanTree.order(chain);
        assertEquals(99_999, nodes.get(99_999).depth());
    }

    @Test
    void aSpanTwiceIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> SpanTree.order(List.of(span("a", null, 0), span("a", null, 0))));
    }
}
