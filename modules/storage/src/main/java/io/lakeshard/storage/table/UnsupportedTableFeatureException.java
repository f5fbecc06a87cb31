package io.lakeshard.storage.table;

import static java.util.Objects.requireNonNull;

import java.util.Set;

/**
 * The table's protocol needs a reader feature Lakeshard does not implement (deletion vectors, say): reading it as if
 * the feature were absent would return wrong rows, so nothing reads, writes or maintains it. Retrying cannot help.
 */
public final class UnsupportedTableFeatureException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Set<String> features;

    public UnsupportedTableFeatureException(String message, Set<String> features) {
        super(message);
        this.features = Set.copyOf(requireNonNull(features, "features is null"));
    }

    /** The reader features the table needs that Lakeshard does not implement. */
    public Set<String> features() {
        return features;
    }
}
