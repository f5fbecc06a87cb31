package io.lakeshard.query.engine;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.List;

/**
 * The one DuckDB instance's limits. DuckDB's own defaults suit a laptop, not a server that shares its memory with a
 * JVM: 80% of RAM, every core, temp files in the working directory, 90% of the disk.
 *
 * @param readableDirectories the only directories DuckDB may read: the storage root and the remote-file cache
 * @param batchRows rows per Arrow batch streamed back
 * @param statsAnswers whether counts and bounds that the Delta log holds exactly are answered from it instead of by a
 *     scan; off, every statement is scanned: the reference the tests compare those answers with
 */
public record EngineSettings(
        int threads,
        String memoryLimit,
        Path tempDirectory,
        String maxTempDirectorySize,
        List<Path> readableDirectories,
        int batchRows,
        boolean statsAnswers) {

    public EngineSettings {
        requireNonNull(memoryLimit, "memoryLimit is null");
        requireNonNull(tempDirectory, "tempDirectory is null");
        requireNonNull(maxTempDirectorySize, "maxTempDirectorySize is null");
        readableDirectories = List.copyOf(requireNonNull(readableDirectories, "readableDirectories is null"));
        if (threads < 1 || batchRows < 1) {
            throw new IllegalArgumentException("threads and batchRows must be positive");
        }
    }

    public static EngineSettings defaults(Path workDirectory, List<Path> readableDirectories) {
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        return new EngineSettings(threads, "2GB", workDirectory.resolve("duckdb-tmp"), "10GB", readableDirectories, 8192, true);
    }

    public EngineSettings withMemoryLimit(String limit) {
        return new EngineSettings(threads, limit, tempDirectory, maxTempDirectorySize, readableDirectories, batchRows, statsAnswers);
    }

    public EngineSettings withBatchRows(int rows) {
        return new EngineSettings(threads, memoryLimit, tempDirectory, maxTempDirectorySize, readableDirectories, rows, statsAnswers);
    }

    public EngineSettings withThreads(int count) {
        return new EngineSettings(count, memoryLimit, tempDirectory, maxTempDirectorySize, readableDirectories, batchRows, statsAnswers);
    }

    public EngineSettings withStatsAnswers(boolean enabled) {
        return new EngineSettings(threads, memoryLimit, tempDirectory, maxTempDirectorySize, readableDirectories, batchRows, enabled);
    }
}
