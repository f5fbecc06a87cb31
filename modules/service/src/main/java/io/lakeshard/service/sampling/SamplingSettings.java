package io.lakeshard.service.sampling;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How samplers run on this cluster ({@code lakeshard.sampling}).
 *
 * @param tickInterval how often an owner asks for ready traces
 * @param commitSlack a tick judges readiness and arrivals as of this long ago: a span written (stamped with its
 *     arrival) before then is committed by the time the tick reads, so its arrival range holds every span stamped
 *     in it
 * @param clockSkew how far ahead of the cluster's clocks an exporter's span start times may be and still be read
 * @param maxCandidatesPerTick the most traces one tick decides; more wait for the next tick, at once
 * @param exportPageTraces kept traces delivered in one OTLP export
 * @param exportTimeout one OTLP export's time to answer
 * @param retryMin first wait after a failed tick or export, doubling up to {@code retryMax}
 * @param feedPollInterval how often a caught-up decision stream looks for new decisions
 */
public record SamplingSettings(Duration tickInterval, Duration commitSlack, Duration clockSkew, int maxCandidatesPerTick,
        int exportPageTraces, Duration exportTimeout, Duration retryMin, Duration retryMax, Duration feedPollInterval) {
    public SamplingSettings {
        requireNonNull(tickInterval, "tickInterval is null");
        requireNonNull(commitSlack, "commitSlack is null");
        requireNonNull(clockSkew, "clockSkew is null");
        requireNonNull(exportTimeout, "exportTimeout is null");
        requireNonNull(retryMin, "retryMin is null");
        requireNonNull(retryMax, "retryMax is null");
        requireNonNull(feedPollInterval, "feedPollInterval is null");
        if (maxCandidatesPerTick < 1 || exportPageTraces < 1) {
            throw new IllegalArgumentException("lakeshard.sampling: max-candidates-per-tick and export-page-traces must be 1 or more");
        }
    }

    public static SamplingSettings from(Config config) {
        Config sampling = config.getConfig("lakeshard.sampling");
        return new SamplingSettings(sampling.getDuration("tick-interval"), sampling.getDuration("commit-slack"),
                sampling.getDuration("clock-skew"), sampling.getInt("max-candidates-per-tick"), sampling.getInt("export-page-traces"),
                sampling.getDuration("export-timeout"), sampling.getDuration("retry-backoff-min"), sampling.getDuration("retry-backoff-max"),
                sampling.getDuration("feed-poll-interval"));
    }

    /** The wait after {@code failures} failures in a row. */
    public Duration retryAfter(int failures) {
        Duration wait = retryMin.multipliedBy(1L << Math.min(Math.max(failures - 1, 0), 16));
        return wait.compareTo(retryMax) > 0 ? retryMax : wait;
    }
}
