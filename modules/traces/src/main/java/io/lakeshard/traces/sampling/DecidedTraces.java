package io.lakeshard.traces.sampling;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.DatasetName;
import java.time.Instant;

/**
 * Traces a sampler has decided, for the candidate query to leave out: the {@code trace_id} column (the span table's
 * 16 bytes) of the rows of a dataset of the same tenant written at or after {@code writtenSince}. The bound is on
 * Lakeshard's {@code _ls_ingest_time}, which every dataset has and which grows with the writes, so only the files of
 * recent decisions are read; a trace decided before it whose spans are still in the window is a candidate again.
 */
public record DecidedTraces(DatasetName dataset, Instant writtenSince) {
    public DecidedTraces {
        requireNonNull(dataset, "dataset is null");
        requireNonNull(writtenSince, "writtenSince is null");
    }
}
