package io.lakeshard.client.sampling;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A sampler as the server answers it: its definition, and how far it got.
 *
 * @param decisionsDataset where its decisions are, a dataset of the tenant's to query
 * @param ticks ticks started; each decides the traces finished since the one before
 * @param decidedThrough every trace finished before this time is decided; empty before the first tick
 * @param rows rows written to the decisions dataset (decisions and late rows): the last sequence
 * @param lateRows rows of spans of kept traces that arrived after their trace's decision
 * @param keptByPolicy traces kept, by the name of the policy that kept them
 * @param exportedThrough the last sequence whose kept traces the receiver confirmed
 * @param lastError why the last tick failed, while it is retried
 * @param lastExportError why the last export failed, while it is retried
 */
public record Sampler(String dataset, String name, Duration inactivity, Duration maxTraceDuration, List<Policy> policies,
        Optional<Export> export, String decisionsDataset, Instant createdAt, long ticks, Optional<Instant> decidedThrough, long rows,
        long decided, long kept, long lateRows, Map<String, Long> keptByPolicy, long exportedThrough, long exportedSpans,
        Optional<String> lastError, Optional<String> lastExportError) {
    public Sampler {
        requireNonNull(dataset, "dataset is null");
        requireNonNull(name, "name is null");
        policies = List.copyOf(requireNonNull(policies, "policies is null"));
        requireNonNull(export, "export is null");
        keptByPolicy = Map.copyOf(requireNonNull(keptByPolicy, "keptByPolicy is null"));
    }

    /**
     * A policy of the sampler.
     *
     * @param name as decisions and {@link #keptByPolicy} name it: {@code errors}, {@code slow_span>2s},
     *     {@code large_trace>50}, {@code span_attribute:http.route=/checkout}, {@code percentage:10}, ...
     */
    public record Policy(String name, SamplingPolicyOption definition) {
        public Policy {
            requireNonNull(name, "name is null");
            requireNonNull(definition, "definition is null");
        }
    }

    /** Where kept traces go; the headers' names only, as their values may be secrets. */
    public record Export(ExportOption.Protocol protocol, String endpoint, List<String> headerNames) {
        public Export {
            requireNonNull(protocol, "protocol is null");
            requireNonNull(endpoint, "endpoint is null");
            headerNames = List.copyOf(requireNonNull(headerNames, "headerNames is null"));
        }
    }
}
