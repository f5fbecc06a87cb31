package io.lakeshard.bench;

import io.lakeshard.api.v1.ImportJob;
import io.lakeshard.api.v1.StartImportRequest;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.query.imports.FileSlice;
import io.lakeshard.query.imports.ParquetImporter;
import io.lakeshard.server.LakeshardServer;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetId;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.TableSettings;
import io.lakeshard.storage.write.BatchWriter;
import io.lakeshard.testing.SpanBatches;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Import throughput: a directory of Parquet files (100 files of 100,000 span rows, ZSTD, written by DuckDB as another
 * tool would) imported by a job into a dataset on a one-node server, beside the limits measured in the same run on
 * the same machine: our raw Parquet writer on the same rows (no reading, no commit) and the import's DuckDB reading
 * the files into Arrow (no writing). Usage: {@code ImportBenchmark <work-dir> [files] [rows-per-file] [repeats]}.
 */
public final class ImportBenchmark {
    private static final String KEY = "bench-key";
    private static final String DATASET = "obs.imports.spans";

    private ImportBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path dir = WorkDirectory.fresh(Path.of(args[0]).toAbsolutePath());
        int files = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int rowsPerFile = args.length > 2 ? Integer.parseInt(args[2]) : 100_000;
        int repeats = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        long rows = (long) files * rowsPerFile;
        System.out.printf("import benchmark: %d files of %,d rows, %d cores, JVM max heap %d MiB, %d repeats (medians)%n%n", files,
                rowsPerFile, Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, repeats);

        Path source = dir.resolve("import/bench/spans");
        long generate = System.nanoTime();
        generate(source, files, rowsPerFile);
        long bytes = sourceBytes(source);
        System.out.printf("generated %,d rows in %d files, %.1f MB of Parquet, in %.1f s (DuckDB's writer)%n%n", rows, files, bytes / 1e6,
                (System.nanoTime() - generate) / 1e9);

        List<Double> raw = new ArrayList<>();
        List<Double> read = new ArrayList<>();
        List<Double> imported = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator()) {
            for (int repeat = 0; repeat < repeats; repeat++) {
                raw.add(rawWriter(dir.resolve("raw-" + repeat), allocator, rowsPerFile, Math.min(files, 20)));
                read.add(duckDbRead(dir, source, allocator, Math.min(files, 20), rowsPerFile));
                imported.add(importJob(dir.resolve("server-" + repeat), dir.resolve("import"), source, rows));
                System.out.printf("  repeat %d: raw writer %,.0f rows/s, DuckDB read %,.0f rows/s, import %,.0f rows/s%n", repeat + 1,
                        raw.get(repeat), read.get(repeat), imported.get(repeat));
            }
        }
        double rawRate = median(raw);
        double importRate = median(imported);
        System.out.println();
        System.out.printf("%-58s %,12.0f rows/s%n", "limit: raw Parquet writer (BatchWriter, rows in Arrow)", rawRate);
        System.out.printf("%-58s %,12.0f rows/s%n", "limit: the import's DuckDB reading the files into Arrow", median(read));
        System.out.printf("%-58s %,12.0f rows/s %8.1f MB/s of Parquet%n", "import job: files to committed rows", importRate,
                importRate / rows * bytes / 1e6);
        System.out.printf("%-58s %11.0f %%  (goal: 70 %%)%n", "import / raw writer", 100 * importRate / rawRate);
    }

    /** The span rows as DuckDB writes them: the columns and values of {@link SpanBatches}. */
    private static void generate(Path source, int files, int rowsPerFile) throws SQLException, IOException {
        Files.createDirectories(source);
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement statement = duck.createStatement()) {
            statement.execute("SET TimeZone = 'UTC'");
            for (int file = 0; file < files; file++) {
                long first = (long) file * rowsPerFile;
                statement.execute("COPY (SELECT printf('%016x%016x', (i // 8) * 7, i // 8) AS trace_id, printf('%016x', i) AS span_id, "
                        + "'service-' || ((i // 8 + i % 8) % 50) AS service_name, 'op-' || (hash(i) % 2000) AS span_name, "
                        + "TIMESTAMPTZ '2026-11-30 00:00:00+00' + to_microseconds(i * 125) AS start_time, (hash(i * 17) % 900 + 1)::BIGINT AS duration_ms, "
                        + "CASE WHEN (i // 8) % 97 = 13 AND i % 8 = 3 THEN 2 ELSE 0 END::INTEGER AS status_code "
                        + "FROM range(" + first + ", " + (first + rowsPerFile) + ") t(i)) TO '" + source.resolve(String.format("part-%05d.parquet", file))
                        + "' (FORMAT parquet, COMPRESSION zstd)");
            }
        }
    }

    private static long sourceBytes(Path source) throws IOException {
        try (Stream<Path> walk = Files.walk(source)) {
            return walk.filter(Files::isRegularFile).mapToLong(file -> file.toFile().length()).sum();
        }
    }

    /** Rows/s of our Parquet writer writing batches of one file's rows, rows already in Arrow. */
    private static double rawWriter(Path dir, BufferAllocator allocator, int rowsPerFile, int batches) throws Exception {
        StorageRoot storage = StorageRoot.local(dir);
        DeltaTable table = DeltaTable.create(storage, storage.tableUri(new DatasetId("bench", DatasetName.parse("raw.parquet.writer"))),
                DatasetDefinition.of(SpanBatches.SCHEMA, List.of()).withEventTimeColumn("start_time"), TableSettings.defaults());
        BatchWriter writer = BatchWriter.forDefinition(table.storage(), table.root(), table.snapshot().schema(), table.definition(), allocator);
        long start = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.parse("2026-11-30T00:00:00Z"));
        List<VectorSchemaRoot> generated = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            generated.add(SpanBatches.batch(allocator, (long) b * rowsPerFile / SpanBatches.SPANS_PER_TRACE, rowsPerFile, start, 1_000L));
        }
        try {
            writer.write(generated.get(0), "warm-up", Instant.now());
            long began = System.nanoTime();
            for (VectorSchemaRoot batch : generated) {
                writer.write(batch, UUID.randomUUID().toString(), Instant.now());
            }
            return (double) batches * rowsPerFile / ((System.nanoTime() - began) / 1e9);
        } finally {
            generated.forEach(VectorSchemaRoot::close);
        }
    }

    /** Rows/s of the import's reader alone: files into the dataset's columns as Arrow, nothing written. */
    private static double duckDbRead(Path dir, Path source, BufferAllocator allocator, int files, int rowsPerFile) throws Exception {
        try (ParquetImporter importer = new ParquetImporter(List.of(source), dir.resolve("duck-tmp"), "1GB", allocator)) {
            long began = System.nanoTime();
            for (int file = 0; file < files; file++) {
                Path path = source.resolve(String.format("part-%05d.parquet", file));
                try (VectorSchemaRoot batch = importer.read(List.of(new FileSlice(path, Map.of(), 0, rowsPerFile)), SpanBatches.SCHEMA)) {
                    if (batch.getRowCount() != rowsPerFile) {
                        throw new IllegalStateException("read " + batch.getRowCount() + " rows of " + path);
                    }
                }
            }
            return (double) files * rowsPerFile / ((System.nanoTime() - began) / 1e9);
        }
    }

    /** Rows/s of a one-shot import job, from its start to FINISHED, on a fresh server. */
    private static double importJob(Path serverDir, Path importRoot, Path source, long rows) throws Exception {
        try (LakeshardServer server = BenchServers.start(serverDir, KEY, """
                lakeshard.imports.roots = ["%s"]
                """.formatted(importRoot));
                LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
            client.register(DATASET, SpanBatches.SCHEMA, List.of(), "start_time", null);
            long began = System.nanoTime();
            client.startImport(StartImportRequest.newBuilder().setJobId("bench").setDataset(DATASET).setSource(source.toString()).build());
            ImportJob job = client.importJob("bench");
            while (job.getState().equals("RUNNING")) {
                Thread.sleep(100);
                job = client.importJob("bench");
            }
            double seconds = (System.nanoTime() - began) / 1e9;
            if (job.getRows() != rows || job.getFilesFailed() != 0) {
                throw new IllegalStateException("the import did not take every row: " + job);
            }
            return rows / seconds;
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
