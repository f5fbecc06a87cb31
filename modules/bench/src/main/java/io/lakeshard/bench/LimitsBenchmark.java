package io.lakeshard.bench;

import com.sun.management.OperatingSystemMXBean;
import io.lakeshard.api.v1.Consistency;
import io.lakeshard.api.v1.QueryRequest;
import io.lakeshard.api.v1.WriteResponse;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.QueryResults;
import io.lakeshard.query.engine.EngineSettings;
import io.lakeshard.query.engine.QueryEngine;
import io.lakeshard.storage.S3TestServer;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetId;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.snapshot.SnapshotCache;
import io.lakeshard.storage.table.DataFile;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.GroupCommitResult;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.PendingAppend;
import io.lakeshard.storage.table.TableSettings;
import io.lakeshard.storage.write.BatchWriter;
import io.lakeshard.storage.write.NewDataFile;
import io.lakeshard.testing.SpanBatches;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.MapVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Each speed figure of the ingest, small-write and count paths beside the limit it is measured against, in the same
 * run and JVM: the raw Parquet writer on the same batches, a bare commit of an already-written file on the local
 * disk, DuckDB over the same files. The server is its own process, as shipped, on the same cores; its resident
 * memory is printed after each part. Usage:
 * {@code LimitsBenchmark <work-dir>}.
 */
public final class LimitsBenchmark {
    /** The packaged server the benchmark starts: -Dbench.dist, set by the pom to modules/server/target/dist. */
    private static final Path DIST = Path.of(System.getProperty("bench.dist", "../server/target/dist")).toAbsolutePath().normalize();
    private static final long RSS_TARGET_MIB = 1_536;
    private static final int BULK_BATCHES = 20;
    private static final int BULK_ROWS = 100_000;
    /** The bulk batches are written this many times over, under new keys: 10M rows for the counts. */
    private static final int BULK_ROUNDS = 5;
    private static final int BULK_WRITERS = 4;
    private static final int SMALL_ROWS = 1_000;
    private static final int SMALL_WRITERS = 32;
    private static final int SMALL_WRITES_PER_WRITER = 40;
    private static final Duration SMALL_WARM_UP = Duration.ofSeconds(45);
    private static final int SMALL_MEASURED_ROUNDS = 3;
    private static final int BARE_COMMITS = 300;
    private static final Duration COUNT_WARM_UP = Duration.ofSeconds(40);
    private static final int COUNT_WARM_UP_ROUND = 50;
    private static final int COUNT_RUNS = 300;
    private static final int ATTRIBUTES = 5;
    private static final Schema WITH_ATTRIBUTES = withAttributes();
    private static final int LARGE_FILES = Integer.getInteger("bench.large.files", 100_000);
    private static final int FILES_PER_COMMIT = Integer.getInteger("bench.large.files-per-commit", 10);
    private static final int LARGE_ROWS_PER_FILE = SpanBatches.SPANS_PER_TRACE;
    /** The parts to run, {@code -Dbench.sections=large} say; the counts are over the rows the ingest wrote. */
    private static final OperatingSystemMXBean CLIENT_CPU = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static final Set<String> SECTIONS = Set.of(System.getProperty("bench.sections", "ingest,small,counts,large,s3").split(","));

    private LimitsBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path dir = WorkDirectory.fresh(Path.of(args[0]).toAbsolutePath());
        long start = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now().minus(1, ChronoUnit.HOURS));
        System.out.printf("limits benchmark, %s: %d cores, client JVM max heap %d MiB%n",
                Instant.now().truncatedTo(ChronoUnit.SECONDS), Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
        try (BufferAllocator allocator = new RootAllocator()) {
            List<VectorSchemaRoot> bulk = new ArrayList<>();
            List<VectorSchemaRoot> mapped = new ArrayList<>();
            for (int b = 0; b < BULK_BATCHES; b++) {
                VectorSchemaRoot spans = SpanBatches.batch(allocator, (long) b * BULK_ROWS / SpanBatches.SPANS_PER_TRACE, BULK_ROWS, start, 10L);
                bulk.add(spans);
                mapped.add(withAttributes(spans, allocator));
            }
            double bulkMiB = mib(bulk);
            double mappedMiB = mib(mapped);
            long bulkRows = (long) BULK_BATCHES * BULK_ROWS;

            System.out.printf("%n== Ingest: %d batches of %,d span rows (7 columns, %.0f MiB of Arrow; with a %d-entry map<string,string>: %.0f MiB) ==%n",
                    BULK_BATCHES, BULK_ROWS, bulkMiB, ATTRIBUTES, mappedMiB);
            double raw = 0;
            double rawMapped = 0;
            if (SECTIONS.contains("ingest")) {
                raw = rawWriter(dir.resolve("raw"), SpanBatches.SCHEMA, bulk, bulkRows, allocator);
                rawMapped = rawWriter(dir.resolve("raw-mapped"), WITH_ATTRIBUTES, mapped, bulkRows, allocator);
                row("limit: raw Parquet writer, same batches (rows/s)", raw, raw);
                row("limit: raw Parquet writer, with the map column (rows/s)", rawMapped, rawMapped);
            }

            try (ServerProcess server = ServerProcess.start(DIST, Files.createDirectories(dir.resolve("server")), dir.resolve("server.log"));
                    LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), server.key())) {
                System.out.printf("%nthe server: its own process, started as %s/bin/lakeshard-server with its shipped memory "
                        + "defaults; idle RSS %,d MiB%n", DIST, server.rssMiB());
                client.register("obs.traces.bulk", SpanBatches.SCHEMA, List.of(), "start_time", null);
                client.register("obs.traces.mapped", WITH_ATTRIBUTES, List.of(), "start_time", null);
                client.register("obs.traces.small", SpanBatches.SCHEMA, List.of(), "start_time", null);
                client.write("obs.traces.bulk", bulk.get(0), "warm-up", 0);
                client.write("obs.traces.mapped", mapped.get(0), "warm-up", 0);

                if (SECTIONS.contains("ingest")) {
                    double one = bulkWrites(client, "obs.traces.bulk", bulk, 1, 1, 1);
                    row("API, bulk, 1 writer (rows/s)", one, raw);
                    double four = bulkWrites(client, "obs.traces.bulk", bulk, BULK_WRITERS, BULK_ROUNDS, 100);
                    row("API, bulk, " + BULK_WRITERS + " writers (rows/s)", four, raw);
                    double fourMapped = bulkWrites(client, "obs.traces.mapped", mapped, BULK_WRITERS, 1, 1);
                    row("API, bulk, " + BULK_WRITERS + " writers, with the map column (rows/s)", fourMapped, rawMapped);
                    memory(server, "after the bulk ingest");
                }
                if (SECTIONS.contains("small")) {
                    System.out.printf("%n== Small writes: %,d rows each, %d concurrent writers, one app id each ==%n", SMALL_ROWS, SMALL_WRITERS);
                    Stopwatch bare = bareCommits(StorageRoot.local(dir.resolve("bare")), allocator, start);
                    System.out.printf("%-62s %9.2f ms median, %.2f ms p99 (%,.0f commits/s)%n", "limit: bare local commit of a written 1,000-row file",
                            bare.median(), bare.p99(), 1000 / bare.median());
                    smallWrites(client, server, allocator, start);
                    memory(server, "after the small writes");
                }
                if (SECTIONS.contains("counts")) {
                    System.out.printf("%n== Counts over %,d rows ==%n", client.describe("obs.traces.bulk").getRows());
                    countFromStatistics(client, server, dir.resolve("server"));
                    overMemoryLimit(client);
                    memory(server, "after the counts and a query over DuckDB's memory limit");
                }
                if (SECTIONS.contains("large")) {
                    System.out.printf("%n== A large table: %,d files in %,d commits ==%n", LARGE_FILES, LARGE_FILES / FILES_PER_COMMIT);
                    largeTable(client, dir.resolve("server"), allocator, start);
                    memory(server, "after the large table");
                }
                System.out.printf("%n%-62s %,9d MiB (target <= %,d MiB)%n", "the server's peak RSS (VmHWM), whole run", server.peakRssMiB(),
                        RSS_TARGET_MIB);
            }
            if (SECTIONS.contains("s3")) {
                System.out.printf("%n== Small writes on S3 (s3proxy, the test suite's S3 server, on this machine) ==%n");
                smallWritesOnS3(dir, allocator, start);
            }
            bulk.forEach(VectorSchemaRoot::close);
            // The mapped batches share the span columns: only their own column is left to free.
            mapped.forEach(batch -> batch.getVector("attributes").close());
        }
        System.out.printf("peak RSS (VmHWM) of this client JVM: %s%n", status("VmHWM"));
    }

    /**
     * The small writes again with a server whose tables are on S3, beside a bare commit on the same S3 server: there a
     * commit is several requests (the data file's upload, the log entry's conditional PUT), each a round trip.
     */
    private static void smallWritesOnS3(Path dir, BufferAllocator allocator, long start) throws Exception {
        try (S3TestServer s3 = S3TestServer.start(dir.resolve("s3"))) {
            String bucket = s3.createBucket();
            Stopwatch bare = bareCommits(StorageRoot.of(URI.create("s3a://" + bucket + "/bare"), s3.hadoopSettings()), allocator, start);
            System.out.printf("%-62s %9.2f ms median, %.2f ms p99 (%,.0f commits/s)%n", "limit: bare S3 commit of a written 1,000-row file",
                    bare.median(), bare.p99(), 1000 / bare.median());
            Map<String, String> onS3 = Map.of(
                    "LAKESHARD_STORAGE_ROOT", "s3a://" + bucket + "/lakeshard",
                    "LAKESHARD_S3_ENDPOINT", s3.endpoint().toString(),
                    "LAKESHARD_S3_PATH_STYLE_ACCESS", "true",
                    "LAKESHARD_S3_CREDENTIALS", "static",
                    "LAKESHARD_S3_ACCESS_KEY", S3TestServer.ACCESS_KEY,
                    "LAKESHARD_S3_SECRET_KEY", S3TestServer.SECRET_KEY);
            try (ServerProcess server = ServerProcess.start(DIST, Files.createDirectories(dir.resolve("server-s3")), dir.resolve("server-s3.log"), onS3);
                    LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), server.key())) {
                client.register("obs.traces.small", SpanBatches.SCHEMA, List.of(), "start_time", null);
                smallWrites(client, server, allocator, start);
                memory(server, "on S3, after the small writes");
            }
        }
    }

    private static void memory(ServerProcess server, String when) throws IOException {
        System.out.printf("%-62s %,9d MiB now, %,d MiB peak%n", "server RSS " + when, server.rssMiB(), server.peakRssMiB());
    }

    /**
     * A query whose hash table is larger than DuckDB's memory limit (ten million distinct span ids): it may spill or be
     * refused, but the server's memory must stay bounded.
     */
    private static void overMemoryLimit(LakeshardClient client) {
        String sql = "SELECT span_id, count(*) AS n FROM obs.traces.bulk GROUP BY span_id ORDER BY n DESC, span_id LIMIT 3";
        long t = System.nanoTime();
        String outcome;
        try (QueryResults results = client.query(sql)) {
            long rows = 0;
            while (results.next()) {
                rows += results.batch().getRowCount();
            }
            outcome = "answered, " + rows + " rows";
        } catch (RuntimeException e) {
            outcome = "refused: " + e.getMessage();
        }
        System.out.printf("%-62s %9.0f ms: %s%n", "a GROUP BY over 10M distinct span ids", (System.nanoTime() - t) / 1e6,
                outcome.length() > 160 ? outcome.substring(0, 160) + "..." : outcome);
    }

    private static double rawWriter(Path dir, Schema schema, List<VectorSchemaRoot> batches, long rows, BufferAllocator allocator) {
        StorageRoot storage = StorageRoot.local(dir);
        DeltaTable table = DeltaTable.create(storage, storage.tableUri(new DatasetId("bench", DatasetName.parse("raw.parquet.writer"))),
                DatasetDefinition.of(schema, List.of()).withEventTimeColumn("start_time"), TableSettings.defaults());
        BatchWriter writer = BatchWriter.forDefinition(table.storage(), table.root(), table.snapshot().schema(), table.definition(), allocator);
        writer.write(batches.get(0), "warm-up", Instant.now());
        List<Double> rates = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            long t = System.nanoTime();
            for (VectorSchemaRoot batch : batches) {
                writer.write(batch, UUID.randomUUID().toString(), Instant.now());
            }
            rates.add(rows / ((System.nanoTime() - t) / 1e9));
        }
        Collections.sort(rates);
        return rates.get(1);
    }

    /** Rows per second of {@code writers} writers each writing its share of {@code batches}, {@code rounds} times over. */
    private static double bulkWrites(LakeshardClient client, String dataset, List<VectorSchemaRoot> batches, int writers, int rounds,
            int firstSequence) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        AtomicLong rows = new AtomicLong();
        long t = System.nanoTime();
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                running.add(pool.submit(() -> {
                    long sequence = firstSequence;
                    for (int round = 0; round < rounds; round++) {
                        for (int b = writer; b < batches.size(); b += writers) {
                            rows.addAndGet(client.write(dataset, batches.get(b), "bulk-" + writers + "-" + writer, sequence++).getRows());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> writer : running) {
                writer.get();
            }
        } finally {
            pool.shutdown();
        }
        return rows.get() / ((System.nanoTime() - t) / 1e9);
    }

    /** The commit alone: a file written beforehand, committed with a key at the version the writer knows. */
    private static Stopwatch bareCommits(StorageRoot storage, BufferAllocator allocator, long start) throws Exception {
        DeltaTable table = DeltaTable.create(storage, storage.tableUri(new DatasetId("bench", DatasetName.parse("bare.local.commit"))),
                DatasetDefinition.of(SpanBatches.SCHEMA, List.of()).withEventTimeColumn("start_time"), TableSettings.defaults());
        BatchWriter writer = BatchWriter.forDefinition(table.storage(), table.root(), table.snapshot().schema(), table.definition(), allocator);
        ExecutorService housekeeping = Executors.newSingleThreadExecutor();
        try (VectorSchemaRoot batch = SpanBatches.batch(allocator, 0, SMALL_ROWS, start, 1_000L)) {
            long[] version = {table.latestVersion()};
            int[] sequence = {0};
            return Stopwatch.timeParts(BARE_COMMITS / 5, BARE_COMMITS, () -> {
                List<NewDataFile> files = writer.write(batch, UUID.randomUUID().toString(), Instant.now());
                long t = System.nanoTime();
                GroupCommitResult committed = table.appendGroup(List.of(new PendingAppend(files,
                        new IdempotencyKey("w" + sequence[0] % SMALL_WRITERS, sequence[0]++))), version[0], housekeeping);
                version[0] = committed.version();
                return System.nanoTime() - t;
            });
        } finally {
            housekeeping.shutdown();
            housekeeping.awaitTermination(1, TimeUnit.MINUTES);
        }
    }

    private static void smallWrites(LakeshardClient client, ServerProcess server, BufferAllocator allocator, long start) throws Exception {
        List<VectorSchemaRoot> small = new ArrayList<>();
        for (int i = 0; i < SMALL_WRITERS * SMALL_WRITES_PER_WRITER; i++) {
            small.add(SpanBatches.batch(allocator, 10_000_000L + (long) i * SMALL_ROWS / SpanBatches.SPANS_PER_TRACE, SMALL_ROWS, start, 1_000L));
        }
        ExecutorService pool = Executors.newFixedThreadPool(SMALL_WRITERS);
        try {
            // Rounds first, not measured, by the same writers, for as long as a server's warm-up lasts: a just-started
            // server spent ~45% of its CPU in the JIT compiler through its first 20 s of small writes, with the
            // compiler's queue so long that the JVM fell back to its quick, unprofiled tier (-Xlog:jit+compilation),
            // and each writer id's first write has its last sequence looked up in the log. The rounds' rates are
            // printed, so the warm-up shows.
            List<String> warmUp = new ArrayList<>();
            int sequence = 0;
            long warmUpEnd = System.nanoTime() + SMALL_WARM_UP.toNanos();
            while (System.nanoTime() < warmUpEnd) {
                long t = System.nanoTime();
                writeRound(client, pool, small, sequence, Collections.synchronizedList(new ArrayList<>()));
                sequence += SMALL_WRITES_PER_WRITER;
                warmUp.add(String.format("%.0f", small.size() / ((System.nanoTime() - t) / 1e9)));
            }
            System.out.printf("%-62s %s writes/s%n", "warm-up, not measured: rounds of " + small.size() + " writes at", String.join(", ", warmUp));
            long versionBefore = client.describe("obs.traces.small").getVersion();
            List<Double> latency = Collections.synchronizedList(new ArrayList<>());
            double serverCpu = server.cpuSeconds();
            long clientCpu = CLIENT_CPU.getProcessCpuTime();
            long t0 = System.nanoTime();
            for (int round = 0; round < SMALL_MEASURED_ROUNDS; round++) {
                writeRound(client, pool, small, sequence, latency);
                sequence += SMALL_WRITES_PER_WRITER;
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            double serverCores = (server.cpuSeconds() - serverCpu) / seconds;
            double clientCores = (CLIENT_CPU.getProcessCpuTime() - clientCpu) / 1e9 / seconds;
            List<Double> sorted = new ArrayList<>(latency);
            Collections.sort(sorted);
            long commits = client.describe("obs.traces.small").getVersion() - versionBefore;
            System.out.printf("%-62s %9.0f writes/s, ack p50 %.1f ms, p99 %.1f ms; %d writes in %d commits%n",
                    "API, acknowledged 1,000-row writes", latency.size() / seconds, percentile(sorted, 0.5), percentile(sorted, 0.99),
                    latency.size(), commits);
            System.out.printf("%-62s %9.2f cores the server, %.2f this JVM (its SDK clients)%n", "CPU while writing", serverCores, clientCores);
        } finally {
            pool.shutdown();
            small.forEach(VectorSchemaRoot::close);
        }
    }

    /**
     * Every batch written once, by {@link #SMALL_WRITERS} writers each with its own app id and one write in flight,
     * their sequences from {@code firstSequence} on.
     */
    private static void writeRound(LakeshardClient client, ExecutorService pool, List<VectorSchemaRoot> small, int firstSequence,
            List<Double> latency) throws Exception {
        List<Future<?>> writers = new ArrayList<>();
        for (int w = 0; w < SMALL_WRITERS; w++) {
            int writer = w;
            writers.add(pool.submit(() -> {
                for (int i = 0; i < SMALL_WRITES_PER_WRITER; i++) {
                    long t = System.nanoTime();
                    WriteResponse ack = client.write("obs.traces.small", small.get(writer * SMALL_WRITES_PER_WRITER + i), "small-" + writer,
                            firstSequence + i);
                    if (ack.getRows() != SMALL_ROWS) {
                        throw new IllegalStateException("acknowledged " + ack.getRows() + " rows");
                    }
                    latency.add((System.nanoTime() - t) / 1e6);
                }
                return null;
            }));
        }
        for (Future<?> writer : writers) {
            writer.get();
        }
    }

    /** count(*) and min/max through the API (answered from the file statistics) beside DuckDB scanning the same files. */
    private static void countFromStatistics(LakeshardClient client, ServerProcess server, Path dataDir) throws Exception {
        // Integer bounds are exact in Delta's statistics; a timestamp's are kept to the millisecond, so are scanned.
        String sql = "SELECT count(*), min(duration_ms), max(duration_ms) FROM obs.traces.bulk";
        Object[] api = new Object[3];
        Stopwatch.Body countMinMax = () -> {
            try (QueryResults results = client.query(sql)) {
                results.next();
                for (int c = 0; c < 3; c++) {
                    api[c] = results.batch().getVector(c).getObject(0);
                }
            }
        };
        Stopwatch.Body count = () -> {
            try (QueryResults results = client.query("SELECT count(*) FROM obs.traces.bulk")) {
                results.next();
            }
        };
        // What any query pays before the engine: the gRPC call, admission, the read-your-writes check.
        Stopwatch.Body constant = () -> {
            try (QueryResults results = client.query("SELECT 1")) {
                results.next();
            }
        };
        Stopwatch viaApi;
        Stopwatch countOnly;
        Stopwatch constantOnly;
        // The same count through the Flight SQL door and a client nobody here wrote: grpc-java on both ends.
        long[] flightCount = new long[1];
        Stopwatch viaFlight;
        try (Connection flight = DriverManager.getConnection("jdbc:arrow-flight-sql://127.0.0.1:" + server.flightPort()
                + "?useEncryption=false&token=" + server.key()); Statement statement = flight.createStatement()) {
            Stopwatch.Body flightBody = () -> {
                try (ResultSet result = statement.executeQuery("SELECT count(*) FROM obs.traces.bulk")) {
                    result.next();
                    flightCount[0] = result.getLong(1);
                }
            };
            // Rounds first, not measured, for as long as the query path's warm-up lasts: until then each query mostly
            // waits for the JIT compiler, on both sides (after 3,000 SELECT 1s a server still spent 40% of its CPU in
            // C2, async-profiler; the SDK's SELECT 1 went 14.7 -> 6.0 ms median over its first 4,000). Each round's
            // median API count is printed, so the warm-up shows.
            List<String> warmUp = new ArrayList<>();
            long warmUpEnd = System.nanoTime() + COUNT_WARM_UP.toNanos();
            while (System.nanoTime() < warmUpEnd) {
                Stopwatch round = Stopwatch.time(0, COUNT_WARM_UP_ROUND, count);
                Stopwatch.time(0, COUNT_WARM_UP_ROUND, countMinMax);
                Stopwatch.time(0, COUNT_WARM_UP_ROUND, constant);
                Stopwatch.time(0, COUNT_WARM_UP_ROUND, flightBody);
                warmUp.add(String.format("%.1f", round.median()));
            }
            System.out.printf("%-62s %s ms%n", "warm-up, not measured: rounds' median API count(*)", String.join(", ", warmUp));
            viaApi = Stopwatch.time(0, COUNT_RUNS, countMinMax);
            countOnly = Stopwatch.time(0, COUNT_RUNS, count);
            constantOnly = Stopwatch.time(0, COUNT_RUNS, constant);
            viaFlight = Stopwatch.time(0, COUNT_RUNS, flightBody);
        }
        // The engine alone, in this JVM, over the same table: what the server does for the count, without the call.
        Path root = tableRoot(dataDir, "bulk");
        SnapshotCache snapshots = new SnapshotCache(DeltaTable.at(StorageRoot.local(root.getParent()), root.toUri()));
        long[] engineCount = new long[1];
        Stopwatch engineOnly;
        try (BufferAllocator allocator = new RootAllocator();
                QueryEngine engine = new QueryEngine(EngineSettings.defaults(dataDir.resolveSibling("bench-engine"), List.of(root.getParent()))
                        .withMemoryLimit("256MB"), BenchQueries.oneTable(DatasetName.parse("obs.traces.bulk"), snapshots), allocator)) {
            engineOnly = Stopwatch.time(COUNT_RUNS, COUNT_RUNS, () -> engineCount[0] = BenchQueries.value(engine, "SELECT count(*) FROM obs.traces.bulk"));
        }
        List<String> files = liveFiles(dataDir, "bulk");
        Object[] scanned = new Object[3];
        Stopwatch duckDb;
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement statement = duck.createStatement()) {
            String list = files.stream().map(file -> "'" + file.replace("'", "''") + "'").collect(Collectors.joining(", ", "[", "]"));
            String direct = "SELECT count(*), min(duration_ms), max(duration_ms) FROM read_parquet(" + list + ")";
            duckDb = Stopwatch.time(5, COUNT_RUNS, () -> {
                try (ResultSet result = statement.executeQuery(direct)) {
                    result.next();
                    for (int c = 0; c < 3; c++) {
                        scanned[c] = result.getObject(c + 1);
                    }
                }
            });
        }
        for (int c = 0; c < 3; c++) {
            if (((Number) api[c]).longValue() != ((Number) scanned[c]).longValue()) {
                throw new IllegalStateException("column " + c + ": the API answered " + api[c] + ", DuckDB " + scanned[c]);
            }
        }
        System.out.printf("%-62s %9.2f ms median, %.2f ms p99 (%d files)%n", "limit: DuckDB over the same files, count/min/max",
                duckDb.median(), duckDb.p99(), files.size());
        System.out.printf("%-62s %9.2f ms median, %.2f ms p99 (%.1fx faster than the scan)%n", "API, count/min/max from the statistics",
                viaApi.median(), viaApi.p99(), duckDb.median() / viaApi.median());
        System.out.printf("%-62s %9.2f ms median, %.2f ms p99%n", "API, count(*) alone from the statistics", countOnly.median(), countOnly.p99());
        System.out.printf("%-62s %9.2f ms median, %.2f ms p99 (the call's own share of the above)%n", "API, SELECT 1",
                constantOnly.median(), constantOnly.p99());
        if (engineCount[0] != ((Number) api[0]).longValue()) {
            throw new IllegalStateException("the engine counted " + engineCount[0] + ", the API " + api[0]);
        }
        System.out.printf("%-62s %9.2f ms median, %.2f ms p99%n", "the engine alone (in this JVM), count(*) from the statistics",
                engineOnly.median(), engineOnly.p99());
        if (flightCount[0] != ((Number) api[0]).longValue()) {
            throw new IllegalStateException("Flight SQL counted " + flightCount[0] + ", the API " + api[0]);
        }
        System.out.printf("%-62s %9.2f ms median, %.2f ms p99%n", "Flight SQL (its JDBC driver), count(*) from the statistics",
                viaFlight.median(), viaFlight.p99());
    }

    /**
     * A dataset of {@link #LARGE_FILES} one-trace files, committed straight to its table beside the idle server (as
     * many small writes would leave it before optimize): a cold load of its snapshot, an incremental refresh after
     * one more commit, and a trace lookup through the API, each beside the file count it has to handle.
     */
    private static void largeTable(LakeshardClient client, Path dataDir, BufferAllocator allocator, long start) throws Exception {
        client.register("obs.traces.large", SpanBatches.SCHEMA, List.of(), "start_time", null);
        Path root = tableRoot(dataDir, "large");
        DeltaTable table = DeltaTable.at(StorageRoot.local(root.getParent()), root.toUri());
        BatchWriter writer = BatchWriter.forDefinition(table.storage(), table.root(), table.snapshot().schema(), table.definition(), allocator);
        ExecutorService encoders = Executors.newFixedThreadPool(2);
        ExecutorService housekeeping = Executors.newSingleThreadExecutor();
        long version = table.latestVersion();
        long generation = System.nanoTime();
        try {
            for (int commit = 0; commit < LARGE_FILES / FILES_PER_COMMIT; commit++) {
                List<Future<List<NewDataFile>>> written = new ArrayList<>();
                for (int t = 0; t < FILES_PER_COMMIT; t++) {
                    long trace = (long) commit * FILES_PER_COMMIT + t;
                    written.add(encoders.submit(() -> {
                        try (VectorSchemaRoot spans = SpanBatches.batch(allocator, trace, LARGE_ROWS_PER_FILE, start, 1_000L)) {
                            return writer.write(spans, UUID.randomUUID().toString(), Instant.now());
                        }
                    }));
                }
                List<NewDataFile> files = new ArrayList<>();
                for (Future<List<NewDataFile>> file : written) {
                    files.addAll(file.get());
                }
                version = table.appendGroup(List.of(new PendingAppend(files, new IdempotencyKey("large", commit))), version, housekeeping).version();
            }
            awaitHousekeeping(root, version, housekeeping);
        } finally {
            housekeeping.shutdownNow();
            encoders.shutdownNow();
        }
        System.out.printf("written in %.0f s; version %d%n", (System.nanoTime() - generation) / 1e9, version);
        // The server follows those commits on its own poll: measured while it is still catching up, the loads below
        // would share the cores with its refresh.
        awaitServer(client, version);

        Stopwatch cold = Stopwatch.time(1, 5, () -> DeltaTable.at(StorageRoot.local(root.getParent()), root.toUri()).snapshot());
        SnapshotCache cache = new SnapshotCache(table);
        cache.current();
        long[] head = {version};
        int[] sequence = {LARGE_FILES / FILES_PER_COMMIT};
        try (VectorSchemaRoot one = SpanBatches.batch(allocator, LARGE_FILES + 1_000_000L, LARGE_ROWS_PER_FILE, start, 1_000L)) {
            Stopwatch refresh = Stopwatch.timeParts(2, 20, () -> {
                List<NewDataFile> files = writer.write(one, UUID.randomUUID().toString(), Instant.now());
                head[0] = table.appendGroup(List.of(new PendingAppend(files, new IdempotencyKey("large", sequence[0]++))), head[0]).version();
                long t = System.nanoTime();
                cache.refresh();
                return System.nanoTime() - t;
            });
            System.out.printf("%-62s %9.2f ms median, %.2f ms p99 (%,d files)%n", "cold snapshot load (log and checkpoint, every file's statistics)",
                    cold.median(), cold.p99(), cache.current().files().size());
            System.out.printf("%-62s %9.2f ms median, %.2f ms p99%n", "incremental refresh after one commit", refresh.median(), refresh.p99());
        }
        awaitServer(client, head[0]);
        // A trace of the middle commit: in one file of the 100,000.
        String traceId = SpanBatches.traceId(LARGE_FILES / 2 + 1);
        long[] found = new long[1];
        Stopwatch lookup = Stopwatch.time(3, COUNT_RUNS, () -> {
            try (QueryResults results = client.query(QueryRequest.newBuilder()
                    .setSql("SELECT count(*) FROM obs.traces.large WHERE trace_id = '" + traceId + "'")
                    .setConsistency(Consistency.CONSISTENCY_LATEST_LOCAL).build())) {
                results.next();
                found[0] = ((Number) results.batch().getVector(0).getObject(0)).longValue();
            }
        });
        System.out.printf("%-62s %9.2f ms median, %.2f ms p99 (%,d spans in %,d files)%n", "API, one trace's spans by trace_id",
                lookup.median(), lookup.p99(), found[0], found[0] / LARGE_ROWS_PER_FILE);
    }

    /**
     * Waits until the hooks of the commit of {@code version} have run, which run after every earlier commit's: the
     * load below is then of the table as its writer leaves it (checkpoint, checksums). Its checksum says its hooks
     * have started on {@code housekeeping}'s one thread; a task submitted then runs after them. The executor must
     * not be shut down before, as it would refuse the hooks still queued behind the running one.
     */
    private static void awaitHousekeeping(Path root, long version, ExecutorService housekeeping) throws Exception {
        Path checksum = root.resolve("_delta_log").resolve(String.format(Locale.ROOT, "%020d.crc", version));
        Await.until(() -> Files.exists(checksum), Duration.ofMinutes(10), Duration.ofMillis(100),
                "the hooks of version " + version + " did not run in 10 minutes: no " + checksum);
        housekeeping.submit(() -> { }).get(10, TimeUnit.MINUTES);
        System.out.printf("housekeeping done; the last checkpoint is %s%n", lastCheckpoint(root));
    }

    private static String lastCheckpoint(Path root) {
        try {
            return Files.readString(root.resolve("_delta_log/_last_checkpoint")).strip();
        } catch (IOException e) {
            return "none (" + e.getMessage() + ")";
        }
    }

    /** Waits until the server's snapshot of the large table has reached {@code version}. */
    private static void awaitServer(LakeshardClient client, long version) throws InterruptedException {
        Await.until(() -> client.describe("obs.traces.large").getVersion() >= version, Duration.ofMinutes(5), Duration.ofMillis(200),
                "the server's snapshot did not reach version " + version);
    }

    private static Path tableRoot(Path dataDir, String table) throws IOException {
        try (Stream<Path> walk = Files.walk(dataDir)) {
            return walk.filter(path -> path.getFileName().toString().equals("_delta_log"))
                    .filter(path -> path.getParent().getParent().getFileName().toString().equals(table))
                    .findFirst().orElseThrow().getParent();
        }
    }

    /** The table's data files in its latest snapshot, found below the server's data directory. */
    private static List<String> liveFiles(Path dataDir, String table) throws IOException {
        Path root = tableRoot(dataDir, table);
        DeltaTable delta = DeltaTable.at(StorageRoot.local(root.getParent()), root.toUri());
        List<String> files = new ArrayList<>();
        for (DataFile file : delta.snapshot().files()) {
            files.add(root.resolve(file.path()).toString());
        }
        return files;
    }

    private static Schema withAttributes() {
        List<Field> fields = new ArrayList<>(SpanBatches.SCHEMA.getFields());
        fields.add(new Field("attributes", FieldType.nullable(new ArrowType.Map(false)), List.of(
                new Field("entries", FieldType.notNullable(ArrowType.Struct.INSTANCE), List.of(
                        new Field("key", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null),
                        new Field("value", FieldType.nullable(ArrowType.Utf8.INSTANCE), null))))));
        return new Schema(fields);
    }

    /** The span rows with a map of five attributes each, as OpenTelemetry's span attributes look. */
    private static VectorSchemaRoot withAttributes(VectorSchemaRoot spans, BufferAllocator allocator) {
        int rows = spans.getRowCount();
        MapVector attributes = (MapVector) WITH_ATTRIBUTES.findField("attributes").createVector(allocator);
        attributes.allocateNew();
        StructVector entries = (StructVector) attributes.getDataVector();
        VarCharVector keys = (VarCharVector) entries.getChild("key");
        VarCharVector values = (VarCharVector) entries.getChild("value");
        String[] names = {"http.method", "http.status_code", "net.peer.name", "db.system", "thread.name"};
        for (int row = 0; row < rows; row++) {
            int first = attributes.startNewValue(row);
            for (int a = 0; a < ATTRIBUTES; a++) {
                int entry = first + a;
                entries.setIndexDefined(entry);
                keys.setSafe(entry, names[a].getBytes(StandardCharsets.UTF_8));
                values.setSafe(entry, (names[a] + "-" + (row * 31 + a) % 997).getBytes(StandardCharsets.UTF_8));
            }
            attributes.endValue(row, ATTRIBUTES);
        }
        attributes.setValueCount(rows);
        List<FieldVector> vectors = new ArrayList<>();
        for (FieldVector vector : spans.getFieldVectors()) {
            vectors.add(vector);
        }
        vectors.add(attributes);
        return new VectorSchemaRoot(WITH_ATTRIBUTES.getFields(), vectors, rows);
    }

    private static double mib(List<VectorSchemaRoot> batches) {
        return batches.stream().mapToLong(b -> b.getFieldVectors().stream().mapToLong(ValueVector::getBufferSize).sum()).sum() / 1048576.0;
    }

    private static void row(String name, double rate, double limit) {
        System.out.printf("%-62s %,12.0f  %5.0f%% of the limit%n", name, rate, 100 * rate / limit);
    }

    private static double percentile(List<Double> sorted, double p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }

    private static String status(String field) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(line -> line.startsWith(field))
                .map(line -> line.substring(field.length() + 1).trim()).findFirst().orElse("unknown");
    }
}
