package io.lakeshard.service.traces;

import static java.util.Objects.requireNonNull;

import io.lakeshard.traces.query.SpanCursor;
import io.lakeshard.traces.query.SpanPage;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * A span read, page by page. Each page is a query of its own, admitted when it is asked for and done when it is
 * answered, that starts after the last span of the page before: between pages nothing is held but that position, so
 * a reader may take as long as it likes over a page (a replay at a low rate does) without keeping a query slot or a
 * result open. Each page reads the snapshot its consistency gives at the time, so spans written during the read are
 * read if they come after the position. Ask for one page at a time, each once the one before is answered.
 */
public final class SpanPages {
    private final Function<Optional<SpanCursor>, CompletionStage<SpanPage>> pages;
    private Optional<SpanCursor> after = Optional.empty();
    private boolean done;
    private long spansSoFar;

    /** A page of the read, and how many spans it and the pages before it hold. */
    public record Page(TracesData spans, long spanCount, long spansSoFar) {
        public Page {
            requireNonNull(spans, "spans is null");
        }
    }

    /** @param pages the page after a position (empty: the first), as a query of the reader's */
    SpanPages(Function<Optional<SpanCursor>, CompletionStage<SpanPage>> pages) {
        this.pages = requireNonNull(pages, "pages is null");
    }

    /** The next page; empty once every span was read (at once for a range without spans). */
    public CompletionStage<Optional<Page>> next() {
        if (done) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return pages.apply(after).thenApply(page -> {
            after = page.next();
            done = after.isEmpty();
            if (page.spanCount() == 0) {
                return Optional.empty();
            }
            spansSoFar += page.spanCount();
            return Optional.of(new Page(page.spans(), page.spanCount(), spansSoFar));
        });
    }
}
