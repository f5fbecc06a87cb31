package io.lakeshard.client.sampling;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A sampler to create: {@code SamplerOptions.named("checkout").withPolicies(keepErrors(), keepPercentage(10))}.
 *
 * @param dataset the trace dataset, catalog.schema.table; empty for {@code otel.traces.spans}
 * @param inactivity a trace is finished once no span of it arrived for this long; zero for the server's default (5
 *     minutes); whole milliseconds
 * @param maxTraceDuration or once its first span started this long ago; zero for the default (1 hour); whole
 *     milliseconds
 * @param policies in order: the first that keeps a trace decides
 * @param export where kept traces go; empty for none
 */
public record SamplerOptions(String dataset, String name, Duration inactivity, Duration maxTraceDuration,
        List<SamplingPolicyOption> policies, Optional<ExportOption> export) {
    public SamplerOptions {
        requireNonNull(dataset, "dataset is null");
        requireNonNull(name, "name is null");
        requireMillis(inactivity, "inactivity");
        requireMillis(maxTraceDuration, "maxTraceDuration");
        policies = List.copyOf(requireNonNull(policies, "policies is null"));
        requireNonNull(export, "export is null");
    }

    /** A sampler of {@code otel.traces.spans} with the default durations, no policies yet and no export. */
    public static SamplerOptions named(String name) {
        return new SamplerOptions("", name, Duration.ZERO, Duration.ZERO, List.of(), Optional.empty());
    }

    public SamplerOptions withDataset(String value) {
        return new SamplerOptions(value, name, inactivity, maxTraceDuration, policies, export);
    }

    public SamplerOptions withInactivity(Duration value) {
        return new SamplerOptions(dataset, name, value, maxTraceDuration, policies, export);
    }

    public SamplerOptions withMaxTraceDuration(Duration value) {
        return new SamplerOptions(dataset, name, inactivity, value, policies, export);
    }

    /** These policies, in this order, instead of any before. */
    public SamplerOptions withPolicies(SamplingPolicyOption... values) {
        return new SamplerOptions(dataset, name, inactivity, maxTraceDuration, List.of(values), export);
    }

    /** One more policy, after the others. */
    public SamplerOptions withPolicy(SamplingPolicyOption value) {
        List<SamplingPolicyOption> more = new ArrayList<>(policies);
        more.add(requireNonNull(value, "value is null"));
        return new SamplerOptions(dataset, name, inactivity, maxTraceDuration, more, export);
    }

    public SamplerOptions withExport(ExportOption value) {
        return new SamplerOptions(dataset, name, inactivity, maxTraceDuration, policies, Optional.of(value));
    }

    /** The API carries durations as milliseconds: anything finer would be cut off without a word. */
    static void requireMillis(Duration duration, String field) {
        requireNonNull(duration, field + " is null");
        if (duration.getNano() % 1_000_000 != 0) {
            throw new IllegalArgumentException(field + ": expected whole milliseconds, got " + duration);
        }
    }
}
