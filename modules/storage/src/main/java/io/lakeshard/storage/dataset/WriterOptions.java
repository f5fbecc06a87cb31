package io.lakeshard.storage.dataset;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * How a dataset's Parquet files are laid out. Sort and z-order columns shape the files optimize writes;
 * bloom filters are added to every file on top of the defaults (string columns named {@code *_id} / {@code *_key}).
 *
 * @param uniqueKeyColumns when set, rows with equal values in these columns are one row written more than once (an
 *     at-least-once source's retries): optimize keeps one of them in the files it rewrites
 */
public record WriterOptions(
        List<String> bloomFilterColumns,
        List<String> sortColumns,
        List<String> zOrderColumns,
        long targetFileSizeBytes,
        int compressionLevel,
        List<String> uniqueKeyColumns) {

    public static final long DEFAULT_TARGET_FILE_SIZE = 128L << 20;
    public static final int DEFAULT_COMPRESSION_LEVEL = 3;

    public WriterOptions {
        bloomFilterColumns = List.copyOf(requireNonNull(bloomFilterColumns, "bloomFilterColumns is null"));
        sortColumns = List.copyOf(requireNonNull(sortColumns, "sortColumns is null"));
        zOrderColumns = List.copyOf(requireNonNull(zOrderColumns, "zOrderColumns is null"));
        uniqueKeyColumns = List.copyOf(requireNonNull(uniqueKeyColumns, "uniqueKeyColumns is null"));
        if (!sortColumns.isEmpty() && !zOrderColumns.isEmpty()) {
            throw new InvalidInputException("options.z_order_columns", "a dataset is either sorted or z-ordered, not both");
        }
        if (targetFileSizeBytes < (1L << 20) || targetFileSizeBytes > (1L << 30)) {
            throw new InvalidInputException("options.target_file_size_bytes",
                    "expected between 1 MiB and 1 GiB, got " + targetFileSizeBytes);
        }
        if (compressionLevel < 1 || compressionLevel > 19) {
            throw new InvalidInputException("options.compression_level",
                    "expected a ZSTD level from 1 to 19, got " + compressionLevel);
        }
    }

    public static WriterOptions defaults() {
        return new WriterOptions(List.of(), List.of(), List.of(), DEFAULT_TARGET_FILE_SIZE, DEFAULT_COMPRESSION_LEVEL, List.of());
    }

    public WriterOptions withBloomFilterColumns(List<String> columns) {
        return new WriterOptions(columns, sortColumns, zOrderColumns, targetFileSizeBytes, compressionLevel, uniqueKeyColumns);
    }

    public WriterOptions withSortColumns(List<String> columns) {
        return new WriterOptions(bloomFilterColumns, columns, zOrderColumns, targetFileSizeBytes, compressionLevel, uniqueKeyColumns);
    }

    public WriterOptions withZOrderColumns(List<String> columns) {
        return new WriterOptions(bloomFilterColumns, sortColumns, columns, targetFileSizeBytes, compressionLevel, uniqueKeyColumns);
    }

    public WriterOptions withTargetFileSizeBytes(long bytes) {
        return new WriterOptions(bloomFilterColumns, sortColumns, zOrderColumns, bytes, compressionLevel, uniqueKeyColumns);
    }

    public WriterOptions withUniqueKeyColumns(List<String> columns) {
        return new WriterOptions(bloomFilterColumns, sortColumns, zOrderColumns, targetFileSizeBytes, compressionLevel, columns);
    }

    public WriterOptions withCompressionLevel(int level) {
        return new WriterOptions(bloomFilterColumns, sortColumns, zOrderColumns, targetFileSizeBytes, level, uniqueKeyColumns);
    }
}
