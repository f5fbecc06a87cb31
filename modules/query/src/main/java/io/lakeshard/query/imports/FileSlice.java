package io.lakeshard.query.imports;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Map;

/**
 * Rows {@code [fromRow, toRow)} of one local Parquet file, with the values its hive-style directories give
 * ({@code region=eu/} gives {@code region = "eu"}). A file too large for one write is imported as several slices.
 */
public record FileSlice(Path file, Map<String, String> partitionValues, long fromRow, long toRow) {
    public FileSlice {
        requireNonNull(file, "file is null");
        partitionValues = Map.copyOf(requireNonNull(partitionValues, "partitionValues is null"));
        if (fromRow < 0 || toRow < fromRow) {
            throw new IllegalArgumentException("rows [" + fromRow + ", " + toRow + ") of " + file);
        }
    }

    public long rows() {
        return toRow - fromRow;
    }
}
