package io.lakeshard.server.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Status;
import io.lakeshard.api.v1.Consistency;
import io.lakeshard.api.v1.ImportJob;
import io.lakeshard.api.v1.QueryRequest;
import io.lakeshard.api.v1.StartImportRequest;
import io.lakeshard.client.BatchingWriter;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.LakeshardException;
import io.lakeshard.client.QueryResults;
import io.lakeshard.client.UnacknowledgedWriteException;
import io.lakeshard.cluster.PostgresServer;
import io.lakeshard.cluster.TestCluster;
import io.lakeshard.server.ImportFiles;
import io.lakeshard.storage.S3FaultProxy;
import io.lakeshard.storage.S3TestServer;
import io.lakeshard.storage.fs.S3Settings;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.TableSnapshot;
import io.lakeshard.testing.SpanBatches;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault suite: the dev overlay's pods as three processes on a PostgreSQL journal and an S3 store reached through
 * a fault proxy, under sustained writes from the SDK (several writers, each through its own first node, failing over
 * to the others), while the suite kills the owner of a table with SIGKILL, then the singletons' node, stops the
 * journal for 20 s, cuts the store off for 10 s, and stops a pod with SIGTERM. A killed or stopped pod is started
 * again, as Kubernetes would, once the others have taken over. Afterwards every acknowledged row is stored exactly
 * once, no row twice, every pod reads the same, and maintenance commits again. The longest pause in acknowledged
 * writes after each fault is printed (timing is reported, not asserted: the machine is shared).
 */
class FaultSuiteIT {
    private static final List<String> HOSTS = List.of("127.0.11.1", "127.0.11.2", "127.0.11.3");
    private static final List<String> DATASETS = List.of("faults.sustained.left", "faults.sustained.right");
    private static final int WRITERS = 4;
    private static final int TRACES_PER_BATCH = 10;
    private static final int BATCH = TRACES_PER_BATCH * SpanBatches.SPANS_PER_TRACE;
    private static final long TRACES_PER_WRITER = 1_000_000_000L;
    private static final Duration FORMATION = Duration.ofMinutes(3);
    private static final Duration RECOVERY = Duration.ofMinutes(2);
    /** A pod's snapshots follow the writers' pushes, and poll every 10 s besides. */
    private static final Duration FRESHNESS = Duration.ofSeconds(30);
    private static final Duration ANSWER = Duration.ofSeconds(30);
    private static final String IMPORTED = "faults.imported.events";
    private static final int IMPORT_FILES = 60;
    private static final long IMPORT_ROWS_PER_FILE = 25_000;
    private static final long IMPORT_ROWS = IMPORT_FILES * IMPORT_ROWS_PER_FILE;
    /** A write takes at most 500,000 rows (lakeshard.imports.max-rows-per-write): 20 files a batch. */
    private static final int IMPORT_BATCHES = 3;
    private static final Duration RETRY_BACKOFF = Duration.ofMillis(500);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long START = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now().minus(Duration.ofHours(1)));

    private final Management management = new Management();
    private final Map<String, NavigableSet<Long>> acks = new HashMap<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final ConcurrentLinkedQueue<Throwable> writerFailures = new ConcurrentLinkedQueue<>();

    @Test
    void acknowledgedWritesSurviveEveryFaultExactlyOnce(@TempDir Path dir) throws Exception {
        Pods pods = Pods.devOverlay(dir);
        DATASETS.forEach(dataset -> acks.put(dataset, new ConcurrentSkipListSet<>()));
        ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
        try (PostgresServer postgres = PostgresServer.start();
                S3TestServer s3 = S3TestServer.start(dir.resolve("s3"), pods.s3AccessKey(), pods.s3SecretKey());
                S3FaultProxy store = S3FaultProxy.start(s3.endpoint());
                KubernetesApi kubernetes = KubernetesApi.start(dir.resolve("kubernetes"), pods.namespace(), pods.podLabels())) {
            s3.createBucket(pods.bucket());
            Fleet fleet = new Fleet(pods, HOSTS, postgres.url(), store.endpoint().toString(), kubernetes, management, FORMATION, RECOVERY);
            try {
                fleet.startAll();
                try (LakeshardClient admin = LakeshardClient.connect(endpoints(0), Pods.API_KEY)) {
                    for (String dataset : DATASETS) {
                        admin.register(dataset, SpanBatches.SCHEMA, List.of(), "start_time", null);
                    }
                    admin.register(IMPORTED, ImportFiles.SCHEMA, List.of());
                }
                uploadImportFiles(dir, s3, pods);
                List<Future<Long>> written = new ArrayList<>();
                for (int w = 0; w < WRITERS; w++) {
                    int writer = w;
                    written.add(writers.submit(() -> write(writer)));
                }
                awaitWrites("the writers to start", System.nanoTime());
                List<String> gaps = new ArrayList<>();

                // An import job, killed with its node between two batches' commits: it resumes where sharding moves it.
                try (LakeshardClient importer = LakeshardClient.connect(endpoints(0), Pods.API_KEY)) {
                    importer.startImport(StartImportRequest.newBuilder().setJobId("faults").setDataset(IMPORTED)
                            .setSource("s3a://" + pods.bucket() + "/import/dev/events").build());
                    ImportJob partway = awaitImport(importer, job -> job.getCommits() >= 1);
                    assertTrue(partway.getCommits() < IMPORT_BATCHES, "the import is still under way: " + partway);
                    String jobNode = HOSTS.stream().filter(host -> !management.shards(host, "ImportJob").isEmpty()).findFirst().orElseThrow();
                    long faultNanos = fault("SIGKILL of " + jobNode + ", the import job's node");
                    fleet.kill(jobNode);
                    awaitWrites("writes after SIGKILL of the import job's node", faultNanos);
                    gaps.add(gap("SIGKILL of the import job's node (" + jobNode + ")", faultNanos));
                    ImportJob finished = awaitImport(importer, job -> job.getState().equals("FINISHED"));
                    assertEquals(IMPORT_FILES, finished.getFilesImported(), finished.toString());
                    assertEquals(IMPORT_ROWS, finished.getRows(), "every file once: " + finished);
                    assertEquals(IMPORT_BATCHES, finished.getCommits(), finished.toString());
                    fleet.restart(jobNode);
                }

                // The owner of a table, not the oldest member: only the table's writer moves.
                String oldest = management.oldestMember(HOSTS.get(0));
                String owner = HOSTS.stream().filter(host -> !host.equals(oldest) && !management.tableShards(host).isEmpty())
                        .findFirst().orElseGet(() -> HOSTS.stream().filter(host -> !management.tableShards(host).isEmpty()).findFirst().orElseThrow());
                long faultNanos = fault("SIGKILL of " + owner);
                fleet.kill(owner);
                awaitWrites("writes after SIGKILL of a table's owner", faultNanos);
                gaps.add(gap("SIGKILL of a table's owner (" + owner + ")", faultNanos));
                fleet.restart(owner);

                // The oldest member runs the shard coordinator, the registry's and the maintenance scheduler's singletons.
                String singletons = management.oldestMember(HOSTS.get(0));
                faultNanos = fault("SIGKILL of " + singletons);
                fleet.kill(singletons);
                awaitWrites("writes after SIGKILL of the singletons' node", faultNanos);
                gaps.add(gap("SIGKILL of the singletons' node (" + singletons + ")", faultNanos));
                fleet.restart(singletons);

                faultNanos = fault("journal stopped");
                postgres.stop();
                hold(Duration.ofSeconds(20));
                postgres.startAgain();
                awaitWrites("writes after the journal's 20 s outage", faultNanos);
                gaps.add(gap("journal stopped for 20 s", faultNanos));

                faultNanos = fault("store cut off");
                store.cutOff(true);
                hold(Duration.ofSeconds(10));
                store.cutOff(false);
                awaitWrites("writes after the store's 10 s outage", faultNanos);
                gaps.add(gap("store cut off for 10 s", faultNanos));

                String stopped = HOSTS.stream().filter(host -> !host.equals(management.oldestMember(HOSTS.get(0)))).findFirst().orElseThrow();
                faultNanos = fault("SIGTERM of " + stopped);
                fleet.terminate(stopped);
                awaitWrites("writes after SIGTERM of a pod", faultNanos);
                gaps.add(gap("SIGTERM of a pod (" + stopped + ")", faultNanos));
                fleet.restart(stopped);

                stop.set(true);
                long acknowledged = 0;
                for (Future<Long> writer : written) {
                    acknowledged += writer.get(RECOVERY.toSeconds(), TimeUnit.SECONDS);
                }
                assertTrue(writerFailures.isEmpty(), "writers failed: " + writerFailures);
                System.out.println("fault suite: " + acknowledged + " rows acknowledged; longest pause in acknowledged writes per fault:");
                gaps.forEach(line -> System.out.println("  " + line));

                verify(pods, acknowledged);
                verifyImport(pods);
                Path tables = s3.dataDirectory().resolve(pods.bucket()).resolve("tables/dev/faults");
                verifyLogs(tables.resolve("sustained"), DATASETS.size(), acknowledged);
                verifyLogs(tables.resolve("imported"), 1, IMPORT_ROWS);
            } catch (Exception | AssertionError failure) {
                fleet.dumpThreads();
                throw failure;
            } finally {
                stop.set(true);
                writers.shutdownNow();
                fleet.stopAll();
                pods.keepLogs(HOSTS, FaultSuiteIT.class);
            }
        }
    }

    /**
     * What the writers left: every acknowledged row once, read through every pod (read-your-writes; and each pod's
     * own snapshot catches up within a few poll intervals), and maintenance working.
     */
    private void verify(Pods pods, long acknowledged) {
        for (int node = 0; node < HOSTS.size(); node++) {
            String host = HOSTS.get(node);
            try (LakeshardClient client = LakeshardClient.connect(endpoints(node), Pods.API_KEY)) {
                assertEquals(acknowledged, answered(pods, () -> stored(client, host, Consistency.CONSISTENCY_READ_YOUR_WRITES)),
                        "through " + host + ": every acknowledged row, and no other");
                TestCluster.await(FRESHNESS, () -> stored(client, host, Consistency.CONSISTENCY_LATEST_LOCAL) == acknowledged,
                        host + "'s own snapshots to catch up");
            }
        }
        try (LakeshardClient client = LakeshardClient.connect(endpoints(1), Pods.API_KEY)) {
            for (String dataset : DATASETS) {
                String optimized = client.optimize(dataset);
                assertTrue(optimized.startsWith("done"), "maintenance runs again: " + optimized);
            }
            assertEquals(acknowledged, answered(pods, () -> stored(client, HOSTS.get(1), Consistency.CONSISTENCY_READ_YOUR_WRITES)),
                    "optimize kept every row");
        }
    }

    /**
     * The count, asked again while the cluster answers UNAVAILABLE (retry, says the protocol) up to {@link #ANSWER}.
     * Each such answer is printed with the cause the pods logged, so a build that fails here says why.
     */
    private static long answered(Pods pods, LongSupplier count) {
        long deadline = System.nanoTime() + ANSWER.toNanos();
        while (true) {
            try {
                return count.getAsLong();
            } catch (LakeshardException e) {
                if (e.code() != Status.Code.UNAVAILABLE || System.nanoTime() > deadline) {
                    throw new AssertionError(e.getMessage() + "; the pods' last storage failure: " + lastStorageFailure(pods), e);
                }
                System.out.println("verification answered UNAVAILABLE (" + e.getMessage() + "); the pods' last storage failure: "
                        + lastStorageFailure(pods));
                backOff();
            }
        }
    }

    /** A client's pause before it retries: not a wait for anything in particular. */
    private static void backOff() {
        try {
            Thread.sleep(RETRY_BACKOFF.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The cause chain of the last store failure a pod's service layer logged, or "none". */
    private static String lastStorageFailure(Pods pods) {
        String last = "none";
        long lastAt = Long.MIN_VALUE;
        for (String host : HOSTS) {
            List<String> lines;
            try {
                lines = Files.readAllLines(pods.log(host), StandardCharsets.UTF_8);
            } catch (IOException e) {
                continue;
            }
            for (String line : lines) {
                if (!line.startsWith("{") || !line.contains("the shared storage failed a request")) {
                    continue;
                }
                try {
                    JsonNode entry = JSON.readTree(line);
                    if (entry.path("timestamp").asLong() >= lastAt) {
                        lastAt = entry.path("timestamp").asLong();
                        StringBuilder chain = new StringBuilder(host);
                        for (JsonNode cause = entry.path("throwable"); cause.isObject(); cause = cause.path("cause")) {
                            chain.append(" <- ").append(cause.path("className").asText()).append(": ").append(cause.path("message").asText());
                        }
                        last = chain.toString();
                    }
                } catch (IOException unparsable) {
                    // A line cut off by a SIGKILL.
                }
            }
        }
        return last;
    }

    /** The imported rows, each once, through every pod. */
    private static void verifyImport(Pods pods) {
        for (int node = 0; node < HOSTS.size(); node++) {
            try (LakeshardClient client = LakeshardClient.connect(endpoints(node), Pods.API_KEY)) {
                long[] counts = new long[2];
                answered(pods, () -> {
                    try (QueryResults results = client.query("SELECT count(*), count(DISTINCT id) FROM " + IMPORTED)) {
                        assertTrue(results.next());
                        counts[0] = ((Number) results.batch().getVector(0).getObject(0)).longValue();
                        counts[1] = ((Number) results.batch().getVector(1).getObject(0)).longValue();
                    }
                    return counts[0];
                });
                assertEquals(IMPORT_ROWS, counts[0], "through " + HOSTS.get(node) + ": every imported row");
                assertEquals(IMPORT_ROWS, counts[1], "through " + HOSTS.get(node) + ": no imported row twice");
            }
        }
    }

    private static ImportJob awaitImport(LakeshardClient client, Predicate<ImportJob> condition) {
        AtomicReference<ImportJob> last = new AtomicReference<>();
        TestCluster.await(RECOVERY, () -> {
            try {
                last.set(client.importJob("faults"));
            } catch (LakeshardException e) {
                // The job's node is gone and the next has not taken its shard yet.
                return false;
            }
            return condition.test(last.get());
        }, "the import job (last seen: " + last.get() + ")");
        return last.get();
    }

    /** The files of the import, in the bucket's import/ prefix of tenant dev, put there by S3A as any client would. */
    private static void uploadImportFiles(Path dir, S3TestServer s3, Pods pods) throws Exception {
        Configuration conf = new Configuration(false);
        S3Settings.defaults().forEach(conf::set);
        new S3Settings(Optional.of(s3.endpoint()), "us-east-1", true, S3Settings.Credentials.STATIC, Optional.of(pods.s3AccessKey()),
                Optional.of(pods.s3SecretKey())).hadoopSettings().forEach(conf::set);
        try (FileSystem fs = FileSystem.newInstance(URI.create("s3a://" + pods.bucket() + "/"), conf)) {
            for (int file = 0; file < IMPORT_FILES; file++) {
                Path local = dir.resolve("import-files").resolve(String.format("part-%05d.parquet", file));
                long first = (long) file * IMPORT_ROWS_PER_FILE;
                ImportFiles.write(local, first, first + IMPORT_ROWS_PER_FILE, "ZSTD", "id::BIGINT", "amount::DOUBLE", "happened::TIMESTAMP", true);
                try (OutputStream out = fs.create(new org.apache.hadoop.fs.Path("s3a://" + pods.bucket() + "/import/dev/events/"
                        + local.getFileName()))) {
                    Files.copy(local, out);
                }
            }
        }
    }

    /** The rows of every dataset, checking that none is there twice. */
    private static long stored(LakeshardClient client, String host, Consistency consistency) {
        long total = 0;
        for (String dataset : DATASETS) {
            try (QueryResults results = client.query(QueryRequest.newBuilder()
                    .setSql("SELECT count(*), count(DISTINCT span_id) FROM " + dataset).setConsistency(consistency).build())) {
                assertTrue(results.next());
                long rows = ((Number) results.batch().getVector(0).getObject(0)).longValue();
                long distinct = ((Number) results.batch().getVector(1).getObject(0)).longValue();
                assertFalse(results.next());
                assertEquals(rows, distinct, dataset + " through " + host + ": no row twice");
                total += rows;
            }
        }
        return total;
    }

    /**
     * The tables as any Delta reader finds them in the store, without a pod: logs whose versions follow one another,
     * and snapshots holding every acknowledged row (the store keeps objects as files, so the storage layer reads them).
     */
    private static void verifyLogs(Path under, int datasets, long acknowledged) throws IOException {
        List<Path> tables;
        try (Stream<Path> walk = Files.walk(under)) {
            tables = walk.filter(path -> path.getFileName().toString().equals("_delta_log")).map(Path::getParent).toList();
        }
        assertEquals(datasets, tables.size(), "one table per dataset: " + tables);
        long rows = 0;
        for (Path table : tables) {
            List<Long> versions;
            try (Stream<Path> log = Files.list(table.resolve("_delta_log"))) {
                versions = log.map(path -> path.getFileName().toString()).filter(name -> name.matches("\\d{20}\\.json"))
                        .map(name -> Long.parseLong(name.substring(0, 20))).sorted().toList();
            }
            assertEquals(LongStream.range(0, versions.size()).boxed().toList(), versions, table + ": every version, once, in order");
            TableSnapshot snapshot = DeltaTable.at(StorageRoot.local(under), table.toUri()).snapshot();
            assertEquals(versions.get(versions.size() - 1), snapshot.version(), table + ": the snapshot is the log's last version");
            rows += snapshot.numRecords();
        }
        assertEquals(acknowledged, rows, "the logs hold every acknowledged row, and no other");
    }

    /**
     * One writer's loop: a batch of fresh spans at a time, each appended and, when the writer gives up on it for now,
     * flushed again until acknowledged, as an application that must not lose rows does. Returns the rows acknowledged.
     */
    private long write(int writer) {
        String dataset = DATASETS.get(writer % DATASETS.size());
        long rows = 0;
        try (LakeshardClient client = LakeshardClient.connect(endpoints(writer), Pods.API_KEY);
                BatchingWriter batches = client.writer(dataset, SpanBatches.SCHEMA,
                        new BatchingWriter.Settings(BATCH, 16L << 20, Duration.ofHours(1), Duration.ofSeconds(30)))) {
            for (long batch = 0; !stop.get(); batch++) {
                long firstTrace = writer * TRACES_PER_WRITER + batch * TRACES_PER_BATCH;
                try (VectorSchemaRoot spans = SpanBatches.batch(client.allocator(), firstTrace, BATCH, START, 1_000)) {
                    appendUntilAcknowledged(batches, spans);
                }
                rows += BATCH;
                acks.get(dataset).add(System.nanoTime());
            }
        } catch (RuntimeException | Error e) {
            writerFailures.add(e);
            throw e;
        }
        return rows;
    }

    private static void appendUntilAcknowledged(BatchingWriter writer, VectorSchemaRoot spans) {
        long deadline = System.nanoTime() + RECOVERY.toNanos();
        try {
            writer.append(spans);
        } catch (UnacknowledgedWriteException e) {
            retryUntil(writer, e, deadline);
        }
    }

    private static void retryUntil(BatchingWriter writer, UnacknowledgedWriteException first, long deadline) {
        UnacknowledgedWriteException last = first;
        while (true) {
            if (!last.retryable() || System.nanoTime() > deadline) {
                throw last;
            }
            try {
                writer.flush();
                return;
            } catch (UnacknowledgedWriteException e) {
                last = e;
            }
        }
    }

    /** Waits until every dataset has had a write acknowledged after {@code sinceNanos}. */
    private void awaitWrites(String what, long sinceNanos) {
        try {
            TestCluster.await(RECOVERY, () -> {
                if (!writerFailures.isEmpty()) {
                    throw new AssertionError("a writer failed", writerFailures.peek());
                }
                return acks.values().stream().allMatch(times -> times.higher(sinceNanos) != null);
            }, what);
        } catch (AssertionError stalled) {
            long now = System.nanoTime();
            StringBuilder last = new StringBuilder(what + "; each dataset's last acknowledged write:");
            acks.forEach((dataset, times) -> last.append(' ').append(dataset).append(times.isEmpty() ? " never"
                    : String.format(" %.1f s ago", (now - times.last()) / 1e9)));
            throw new AssertionError(last.toString(), stalled);
        }
    }

    /** The longest pause in acknowledged writes of any dataset from the fault until writes had resumed for 5 s. */
    private String gap(String fault, long faultNanos) {
        StringBuilder line = new StringBuilder(fault + ":");
        for (String dataset : DATASETS) {
            NavigableSet<Long> times = acks.get(dataset);
            long resumed = times.higher(faultNanos);
            long previous = faultNanos;
            long longest = 0;
            for (long time : times.subSet(faultNanos, false, resumed + TimeUnit.SECONDS.toNanos(5), true)) {
                longest = Math.max(longest, time - previous);
                previous = time;
            }
            line.append(String.format(" %s %.1f s (first write after %.1f s)", dataset, longest / 1e9, (resumed - faultNanos) / 1e9));
        }
        return line.toString();
    }

    /** Marks a fault's start in the output, by the clock the pods' logs use. */
    private static long fault(String what) {
        System.out.println(Instant.now() + " fault suite: " + what);
        return System.nanoTime();
    }

    /** The fault's own duration: writes go on (or fail and are retried) meanwhile. */
    private void hold(Duration duration) throws InterruptedException {
        long until = System.nanoTime() + duration.toNanos();
        while (System.nanoTime() < until) {
            if (!writerFailures.isEmpty()) {
                throw new AssertionError("a writer failed", writerFailures.peek());
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
    }

    /** The pods' logs outlive the test's directory, for the report of a failed run. */
    /** Every pod's API, starting with the {@code first}-th: each writer has its own first node. */
    private static List<InetSocketAddress> endpoints(int first) {
        List<InetSocketAddress> endpoints = new ArrayList<>();
        for (int i = 0; i < HOSTS.size(); i++) {
            endpoints.add(new InetSocketAddress(HOSTS.get((first + i) % HOSTS.size()), 8080));
        }
        return endpoints;
    }
}
