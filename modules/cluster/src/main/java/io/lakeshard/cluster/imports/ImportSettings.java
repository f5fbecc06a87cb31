package io.lakeshard.cluster.imports;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import io.lakeshard.cluster.DirectoryRoots;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code lakeshard.imports}: where tenants may import from, and how much one write carries.
 *
 * @param roots directories ({@code file:} or {@code s3a:} URIs) whose {@code <tenant>/} subdirectory a tenant may import from
 * @param batchBytes the Parquet bytes read into one write: several small files commit together
 * @param maxRowsPerWrite a file with more rows is imported as several writes of at most this many
 * @param retryBackoff the pause before a batch that failed for a retryable reason is tried again
 */
public record ImportSettings(List<String> roots, long batchBytes, long maxRowsPerWrite, Duration retryBackoff, Path stagingDirectory,
        String memoryLimit) {
    public ImportSettings {
        roots = List.copyOf(requireNonNull(roots, "roots is null"));
        requireNonNull(retryBackoff, "retryBackoff is null");
        requireNonNull(stagingDirectory, "stagingDirectory is null");
        requireNonNull(memoryLimit, "memoryLimit is null");
        if (batchBytes <= 0 || maxRowsPerWrite <= 0) {
            throw new IllegalArgumentException("lakeshard.imports: batch-bytes and max-rows-per-write must be positive");
        }
    }

    /** The local roots, which the import's DuckDB may read files under. */
    public List<Path> localRoots() {
        return DirectoryRoots.local(roots);
    }

    public static ImportSettings from(Config config, Path dataDir) {
        Config imports = config.getConfig("lakeshard.imports");
        List<String> roots = DirectoryRoots.from(imports, "roots");
        return new ImportSettings(roots, imports.getBytes("batch-bytes"), imports.getLong("max-rows-per-write"),
                imports.getDuration("retry-backoff"), dataDir.resolve("import-staging"), imports.getString("memory-limit"));
    }
}
