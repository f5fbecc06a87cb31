package io.lakeshard.cluster.imports;

import static java.util.Objects.requireNonNull;

import io.lakeshard.cluster.CborSerializable;
import io.lakeshard.storage.dataset.DatasetName;
import java.time.Duration;

/**
 * What an import job reads and where it writes: Parquet files under {@code source} (a directory URI, {@code file:}
 * or {@code s3a:}) whose path below it matches {@code glob}, into the tenant's dataset. A watched job lists the source
 * every {@code interval} until stopped; a file is imported once it is {@code minAge} old, so a file still being
 * written is left for a later listing.
 */
public record ImportSpec(String tenant, DatasetName dataset, String source, String glob, boolean watch, Duration interval,
        Duration minAge) implements CborSerializable {
    public ImportSpec {
        requireNonNull(tenant, "tenant is null");
        requireNonNull(dataset, "dataset is null");
        requireNonNull(source, "source is null");
        requireNonNull(glob, "glob is null");
        requireNonNull(interval, "interval is null");
        requireNonNull(minAge, "minAge is null");
    }
}
