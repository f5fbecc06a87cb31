package io.lakeshard.client;

import static java.util.Objects.requireNonNull;

import akka.stream.javadsl.SinkQueueWithCancel;
import io.lakeshard.api.v1.ReadSpansResponse;
import io.lakeshard.client.traces.SpanPage;
import java.time.Duration;
import java.util.Optional;

/** The pages of a span read ({@link LakeshardClient#readSpans}), taken one at a time; close it to stop early. */
public final class SpanReader implements AutoCloseable {
    private final SinkQueueWithCancel<ReadSpansResponse> pages;
    private final Duration timeout;

    /** @param timeout how long to wait for one page */
    SpanReader(SinkQueueWithCancel<ReadSpansResponse> pages, Duration timeout) {
        this.pages = requireNonNull(pages, "pages is null");
        this.timeout = requireNonNull(timeout, "timeout is null");
    }

    /**
     * The next page; empty after the last.
     *
     * @throws LakeshardException when the server refused the read or it broke off
     */
    public Optional<SpanPage> next() {
        return LakeshardClient.await(pages.pull(), timeout).map(page -> new SpanPage(page.getOtlp(), page.getSpansSoFar()));
    }

    @Override
    public void close() {
        pages.cancel();
    }
}
