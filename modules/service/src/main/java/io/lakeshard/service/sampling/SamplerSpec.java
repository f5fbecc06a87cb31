package io.lakeshard.service.sampling;

import static java.util.Objects.requireNonNull;

import io.lakeshard.cluster.CborSerializable;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.traces.sampling.DecisionTable;
import io.lakeshard.traces.sampling.SamplerDefinition;
import java.util.Optional;

/**
 * A tenant's sampler of one of its trace datasets, and where its kept traces go.
 *
 * @param export the OTLP receiver kept traces are delivered to; null for none (decisions and queries only)
 */
public record SamplerSpec(String tenant, DatasetName spans, SamplerDefinition definition, ExportTarget export)
        implements CborSerializable {
    public SamplerSpec {
        requireNonNull(tenant, "tenant is null");
        requireNonNull(spans, "spans is null");
        requireNonNull(definition, "definition is null");
        // Fails with the field named if the decisions dataset's name would be too long.
        DecisionTable.dataset(spans, definition.name());
    }

    public Optional<ExportTarget> exportTarget() {
        return Optional.ofNullable(export);
    }

    /** The dataset the sampler's decisions are written to. */
    public DatasetName decisions() {
        return DecisionTable.dataset(spans, definition.name());
    }

    /** The sampler's entity id: one per tenant, span dataset and name. */
    public String entityId() {
        return SamplerEntity.entityId(tenant, spans, definition.name());
    }
}
