package io.lakeshard.client.replay;

import static java.util.Objects.requireNonNull;

import io.lakeshard.api.v1.ReadSpansRequest;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.LakeshardException;
import io.lakeshard.client.SpanReader;
import io.lakeshard.client.traces.SpanPage;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Replays stored spans into an OTLP target: the pages of a span read, each sent as one export, at most at a rate if
 * one is set. An export the target may take later (OTLP's retryable answers, or no answer) is sent again after an
 * exponential backoff with jitter, or as long as the target asked to wait, until it is taken or the give-up time has
 * passed; an export the target refuses is not. The replay stops at the first export not taken and says which spans
 * were not delivered and where to resume. OTLP is at least once: an export whose answer was lost is sent again, so a
 * target may store a page twice (Lakeshard's trace queries read each span once).
 */
public final class Replayer {
    /** Partial-success messages kept for the report; the count covers the rest. */
    private static final int MAX_REJECTIONS = 5;

    private final OtlpTarget target;
    private final Settings settings;

    /**
     * @param spansPerSecond at most this many spans a second, with a second's worth as the burst; empty: as fast as the
     *     target answers
     * @param giveUpAfter how long one export is retried before the replay stops
     * @param initialBackoff the first wait before a retry; each next one doubles, up to {@code maxBackoff}
     */
    public record Settings(OptionalDouble spansPerSecond, Duration giveUpAfter, Duration initialBackoff, Duration maxBackoff) {
        public Settings {
            requireNonNull(spansPerSecond, "spansPerSecond is null");
            requireNonNull(giveUpAfter, "giveUpAfter is null");
            requireNonNull(initialBackoff, "initialBackoff is null");
            requireNonNull(maxBackoff, "maxBackoff is null");
            if (spansPerSecond.isPresent() && !(spansPerSecond.getAsDouble() > 0 && spansPerSecond.getAsDouble() < Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException("the rate must be a positive number of spans a second, not " + spansPerSecond.getAsDouble());
            }
            if (giveUpAfter.isNegative() || initialBackoff.isNegative() || initialBackoff.isZero() || maxBackoff.compareTo(initialBackoff) < 0) {
                throw new IllegalArgumentException("retries need a give-up time of zero or more and backoffs with 0 < initial <= max");
            }
        }

        /** As fast as the target takes them; an export retried for up to 5 minutes, backoff from 500 ms to 10 s. */
        public static Settings defaults() {
            return new Settings(OptionalDouble.empty(), Duration.ofMinutes(5), Duration.ofMillis(500), Duration.ofSeconds(10));
        }

        public Settings withRate(double spansPerSecond) {
            return new Settings(OptionalDouble.of(spansPerSecond), giveUpAfter, initialBackoff, maxBackoff);
        }

        public Settings withGiveUpAfter(Duration value) {
            return new Settings(spansPerSecond, value, initialBackoff, maxBackoff);
        }

        public Settings withBackoff(Duration initial, Duration max) {
            return new Settings(spansPerSecond, giveUpAfter, initial, max);
        }
    }

    /**
     * How far a replay got.
     *
     * @param spansRead the spans the server has sent so far
     * @param spansSent the spans of the exports the target took, its rejected spans included
     * @param spansRejected the spans the target took the exports of but refused one by one (OTLP's partial success)
     * @param retries exports sent again
     */
    public record Progress(long pages, long spansRead, long spansSent, long spansRejected, long retries) {}

    /**
     * Why a replay stopped before the end.
     *
     * @param reason the last answer: the target's, or the server's when a page could not be read
     * @param page the page not delivered, 1 the first
     * @param firstSpan the first span not delivered by its place in the read, 1 the first; those before it were
     * @param spans the spans of that page; 0 when the page could not be read
     * @param resumeFromUnixNano where to replay from again: every span not delivered starts at or after it (a few
     *     delivered spans of the same start may be sent again)
     */
    public record Failure(String reason, long page, long firstSpan, long spans, long resumeFromUnixNano) {
        public Failure {
            requireNonNull(reason, "reason is null");
        }
    }

    /**
     * @param rejections the first few partial-success messages
     * @param failure empty when every page was delivered
     */
    public record Report(Progress totals, List<String> rejections, Optional<Failure> failure, Duration elapsed) {
        public Report {
            requireNonNull(totals, "totals is null");
            rejections = List.copyOf(requireNonNull(rejections, "rejections is null"));
            requireNonNull(failure, "failure is null");
            requireNonNull(elapsed, "elapsed is null");
        }
    }

    /** Told after every page and every retry. */
    @FunctionalInterface
    public interface Listener {
        void progress(Progress progress);
    }

    public Replayer(OtlpTarget target, Settings settings) {
        this.target = requireNonNull(target, "target is null");
        this.settings = requireNonNull(settings, "settings is null");
    }

    /** Reads the spans {@code request} asks for from {@code client} and sends them on, page by page. */
    public Report replay(LakeshardClient client, ReadSpansRequest request, Listener listener) throws InterruptedException {
        long started = System.nanoTime();
        Optional<TokenBucket> rate = settings.spansPerSecond().isPresent()
                ? Optional.of(new TokenBucket(settings.spansPerSecond().getAsDouble(), Math.max(1, settings.spansPerSecond().getAsDouble())))
                : Optional.empty();
        Run run = new Run(listener);
        long resumeFrom = request.getTimeRange().getStartUnixNano();
        try (SpanReader reader = client.readSpans(request)) {
            while (true) {
                Optional<SpanPage> next;
                try {
                    next = reader.next();
                } catch (LakeshardException e) {
                    return run.report(Optional.of(new Failure(e.getMessage(), run.pages + 1, run.spansSent + 1, 0, resumeFrom)), started);
                }
                if (next.isEmpty()) {
                    return run.report(Optional.empty(), started);
                }
                SpanPage page = next.get();
                long spans = page.spanCount();
                run.pages++;
                run.spansRead = page.spansSoFar();
                if (rate.isPresent()) {
                    rate.get().take(spans);
                }
                OtlpTarget.Answer answer = deliver(ExportTraceServiceRequest.newBuilder()
                        .addAllResourceSpans(page.spans().getResourceSpansList()).build(), run);
                if (answer.outcome() != OtlpTarget.Outcome.ACCEPTED) {
                    long pageStart = page.firstStartUnixNano().orElse(resumeFrom);
                    return run.report(Optional.of(new Failure(answer.message(), run.pages, run.spansSent + 1, spans, pageStart)), started);
                }
                run.accepted(spans, answer);
                resumeFrom = page.lastStartUnixNano().orElse(resumeFrom);
            }
        }
    }

    /**
     * Sends an export until the target takes or refuses it, or the give-up time would pass before the next try.
     *
     * @return the last answer; a retryable one when the replay gives up, its message saying so
     */
    private OtlpTarget.Answer deliver(ExportTraceServiceRequest export, Run run) throws InterruptedException {
        long giveUpAt = System.nanoTime() + settings.giveUpAfter().toNanos();
        Duration backoff = settings.initialBackoff();
        while (true) {
            OtlpTarget.Answer answer = target.send(export);
            if (answer.outcome() != OtlpTarget.Outcome.RETRY) {
                return answer;
            }
            Duration wait = answer.retryAfter().orElse(jittered(backoff));
            if (System.nanoTime() + wait.toNanos() > giveUpAt) {
                return OtlpTarget.Answer.retry("gave up after retrying for " + settings.giveUpAfter().toMillis() + " ms; the last answer: "
                        + answer.message(), answer.retryAfter());
            }
            run.retried();
            TimeUnit.NANOSECONDS.sleep(wait.toNanos());
            Duration doubled = backoff.multipliedBy(2);
            backoff = doubled.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : doubled;
        }
    }

    /** Half the backoff and a random part of the other half, so that many replayers do not retry in step. */
    private static Duration jittered(Duration backoff) {
        long half = backoff.toNanos() / 2;
        return Duration.ofNanos(half + ThreadLocalRandom.current().nextLong(half + 1));
    }

    /** One replay's counts. */
    private static final class Run {
        private final Listener listener;
        private final List<String> rejections = new ArrayList<>();
        long pages;
        long spansRead;
        long spansSent;
        long spansRejected;
        long retries;

        Run(Listener listener) {
            this.listener = requireNonNull(listener, "listener is null");
        }

        void accepted(long spans, OtlpTarget.Answer answer) {
            spansSent += spans;
            spansRejected += answer.rejectedSpans();
            if (answer.rejectedSpans() > 0 && rejections.size() < MAX_REJECTIONS) {
                rejections.add(answer.message());
            }
            listener.progress(progress());
        }

        void retried() {
            retries++;
            listener.progress(progress());
        }

        Progress progress() {
            return new Progress(pages, spansRead, spansSent, spansRejected, retries);
        }

        Report report(Optional<Failure> failure, long startedNanos) {
            return new Report(progress(), rejections, failure, Duration.ofNanos(System.nanoTime() - startedNanos));
        }
    }
}
