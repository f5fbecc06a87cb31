package io.lakeshard.bench;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.grpc.GrpcClientSettings;
import com.typesafe.config.ConfigFactory;
import io.lakeshard.api.v1.AttributeFilter;
import io.lakeshard.api.v1.AttributeValue;
import io.lakeshard.api.v1.DescribeTableResponse;
import io.lakeshard.api.v1.ExplainRequest;
import io.lakeshard.api.v1.GetRedMetricsRequest;
import io.lakeshard.api.v1.GetTraceRequest;
import io.lakeshard.api.v1.QueryServiceClient;
import io.lakeshard.api.v1.SearchTracesRequest;
import io.lakeshard.api.v1.TimeRange;
import io.lakeshard.grpc.FixedAddressResolver;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.LakeshardException;
import io.lakeshard.server.LakeshardServer;
import io.lakeshard.storage.dataset.DatasetId;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.TableSettings;
import io.lakeshard.storage.write.BatchWriter;
import io.lakeshard.storage.write.NewDataFile;
import io.lakeshard.traces.SpanSchema;
import io.lakeshard.traces.otlp.OtlpToArrow;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceClient;
import java.net.InetSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * The trace benchmark: OTLP/gRPC ingest of realistic spans ({@link SpanRequests}) by concurrent exporters into a
 * server in this JVM on loopback, bytes per span on disk, and the trace queries (trace by id with and without a time
 * hint, search, RED metrics) before and after optimize; beside the ingest, the same spans through
 * {@link OtlpToArrow} and the storage core's raw writer. Spans start over the last 24 hours.
 *
 * <p>Usage: {@code TraceBenchmark <work-dir>}; {@code -Dbench.spans} (default 10,000,000), {@code -Dbench.clients}
 * (concurrent exporters, default 8), {@code -Dbench.lookups} (queries per measurement, default 200).
 */
public final class TraceBenchmark {
    private static final String KEY = "bench-trace-key";
    private static final String DATASET = SpanSchema.DEFAULT_DATASET.toString();
    private static final int CHUNK_REQUESTS = 256;
    private static final int RAW_REQUESTS = 400;
    private static final int WARM_UP = 20;
    private static final HexFormat HEX = HexFormat.of();
    private static final List<String[]> TABLE = new ArrayList<>();

    private TraceBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path dir = WorkDirectory.fresh(Path.of(args[0]).toAbsolutePath());
        long spans = Long.getLong("bench.spans", 10_000_000L);
        int clients = Integer.getInteger("bench.clients", 8);
        int lookups = Integer.getInteger("bench.lookups", 200);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        long dayNanos = Duration.ofDays(1).toNanos();
        long end = ChronoUnit.NANOS.between(Instant.EPOCH, now) - Duration.ofMinutes(1).toNanos();
        long start = end - dayNanos;
        long expectedTraces = spans / 19;
        System.out.printf("trace benchmark: %,d spans over 24 h, %d exporters, %d cores, JVM max heap %d MiB; exporters and server in one JVM%n%n",
                spans, clients, Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);

        System.out.printf("machine load average at the start: %s%n", loadAverage());
        try (BufferAllocator allocator = new RootAllocator()) {
            rawWriter(dir.resolve("raw"), allocator, start, dayNanos, expectedTraces);
        }
        if (Boolean.getBoolean("bench.raw-only")) {
            print();
            return;
        }

        List<SpanRequests.TraceRef> traces = new ArrayList<>();
        try (LakeshardServer server = BenchServers.start(dir.resolve("server"), KEY, "");
                LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
            ActorSystem<Void> exporters = ActorSystem.create(Behaviors.empty(), "otlp-exporters",
                    ConfigFactory.parseString("akka.loglevel = WARNING"));
            TraceServiceClient grpc = TraceServiceClient.create(GrpcClientSettings.connectToServiceAt("127.0.0.1", server.port(), exporters)
                    .withTls(false).withChannelBuilderOverrides(builder -> FixedAddressResolver.pin(builder, new InetSocketAddress("127.0.0.1", server.port()))), exporters);
            try {
                ingest(grpc, spans, clients, start, dayNanos, expectedTraces, traces);
            } finally {
                grpc.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
                exporters.terminate();
            }
            DescribeTableResponse before = client.describe(DATASET);
            row("stored", "%,d spans, %,d files, %.1f MiB".formatted(before.getRows(), before.getFiles(), before.getBytes() / 1048576.0),
                    "", "");
            row("bytes per span on disk, before optimize", "%.1f".formatted((double) before.getBytes() / before.getRows()), "≤ 70", "~76");

            Random random = new Random(42);
            List<SpanRequests.TraceRef> sample = new ArrayList<>();
            for (int i = 0; i < lookups + WARM_UP; i++) {
                sample.add(traces.get(random.nextInt(traces.size())));
            }
            queries(client, sample, start, end, "before optimize");

            long t = System.nanoTime();
            String outcome;
            try {
                outcome = client.optimize(DATASET);
            } catch (LakeshardException e) {
                // The call's answer can be lost after the optimize committed (seen once at 3M spans): go on once
                // the commit is visible, with the time it took to see it.
                outcome = "the call failed (" + e.code() + "); the optimize commit was seen in the log";
                while (client.describe(DATASET).getFiles() >= before.getFiles() && System.nanoTime() - t < TimeUnit.MINUTES.toNanos(20)) {
                    Thread.sleep(1_000);
                }
            }
            double optimizeSeconds = (System.nanoTime() - t) / 1e9;
            DescribeTableResponse after = client.describe(DATASET);
            row("optimize", "%.1f s, %,d → %,d files (%s)".formatted(optimizeSeconds, before.getFiles(), after.getFiles(), outcome), "", "");
            row("bytes per span on disk, after optimize", "%.1f".formatted((double) after.getBytes() / after.getRows()), "≤ 70", "~76");
            queries(client, sample, start, end, "after optimize");
            if (Boolean.getBoolean("bench.explain")) {
                explain(server.port(), sample.get(0));
            }
        }
        row("peak RSS (VmHWM), whole JVM", vmHwm(), "", "");
        row("machine load average (1, 5, 15 min) at the end", loadAverage(), "", "");
        print();
    }

    /** The limit: the same kind of requests converted and written to files, one thread, no server. */
    private static void rawWriter(Path dir, BufferAllocator allocator, long start, long dayNanos, long expectedTraces) throws IOException {
        SpanRequests generator = new SpanRequests(7, start, dayNanos, expectedTraces);
        List<SpanRequests.TraceRef> ignored = new ArrayList<>();
        List<ExportTraceServiceRequest> requests = new ArrayList<>();
        for (int i = 0; i < RAW_REQUESTS; i++) {
            requests.add(generator.next(ignored));
        }
        StorageRoot storage = StorageRoot.local(dir);
        DeltaTable raw = DeltaTable.create(storage, storage.tableUri(new DatasetId("bench", DatasetName.parse("raw.trace.writer"))),
                SpanSchema.definition(), TableSettings.defaults());
        BatchWriter writer = BatchWriter.forDefinition(raw.storage(), raw.root(), raw.snapshot().schema(), raw.definition(), allocator);
        long spans = 0;
        long convertNanos = 0;
        long writeNanos = 0;
        long bytes = 0;
        long parseNanos = 0;
        for (int i = 0; i < requests.size(); i++) {
            byte[] encoded = requests.get(i).toByteArray();
            long t0 = System.nanoTime();
            ExportTraceServiceRequest parsed = ExportTraceServiceRequest.parseFrom(encoded);
            long t1 = System.nanoTime();
            try (OtlpToArrow.Converted converted = OtlpToArrow.convert(parsed, allocator)) {
                long t2 = System.nanoTime();
                List<NewDataFile> files = writer.write(converted.spans(), UUID.randomUUID().toString(), Instant.now());
                long t3 = System.nanoTime();
                if (i >= WARM_UP) {
                    spans += converted.spans().getRowCount();
                    parseNanos += t1 - t0;
                    convertNanos += t2 - t1;
                    writeNanos += t3 - t2;
                    bytes += files.stream().mapToLong(NewDataFile::sizeBytes).sum();
                }
            }
        }
        row("limit: OTLP parse (protobuf), 1 thread", rate(spans, parseNanos), "", "");
        row("limit: OtlpToArrow.convert, 1 thread", rate(spans, convertNanos), "", "");
        row("limit: raw writer (BatchWriter → Parquet files), 1 thread", rate(spans, writeNanos), "", "");
        row("limit: parse + convert + write, 1 thread", rate(spans, parseNanos + convertNanos + writeNanos), "≥ 50,000", "52,000 (4 cores)");
        row("raw writer: bytes per span, 512-span files", "%.1f".formatted((double) bytes / spans), "", "");
    }

    private static void ingest(TraceServiceClient grpc, long spans, int clients, long start, long dayNanos, long expectedTraces,
            List<SpanRequests.TraceRef> traces) throws Exception {
        SpanRequests generator = new SpanRequests(1, start, dayNanos, expectedTraces);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        long sent = 0;
        long sendingNanos = 0;
        long measured = 0;
        boolean warm = false;
        try {
            while (sent < spans) {
                List<ExportTraceServiceRequest> chunk = new ArrayList<>();
                long chunkSpans = 0;
                while (chunk.size() < CHUNK_REQUESTS && sent + chunkSpans < spans) {
                    ExportTraceServiceRequest request = generator.next(traces);
                    chunk.add(request);
                    chunkSpans += request.getResourceSpansList().stream().mapToLong(r -> r.getScopeSpans(0).getSpansCount()).sum();
                }
                AtomicInteger next = new AtomicInteger();
                List<Double> chunkLatencies = Collections.synchronizedList(new ArrayList<>());
                List<Future<?>> running = new ArrayList<>();
                long t = System.nanoTime();
                for (int c = 0; c < clients; c++) {
                    running.add(pool.submit(() -> {
                        for (int i = next.getAndIncrement(); i < chunk.size(); i = next.getAndIncrement()) {
                            long t0 = System.nanoTime();
                            grpc.export().addHeader("authorization", "Bearer " + KEY).invoke(chunk.get(i))
                                    .toCompletableFuture().get(2, TimeUnit.MINUTES);
                            chunkLatencies.add((System.nanoTime() - t0) / 1e6);
                        }
                        return null;
                    }));
                }
                for (Future<?> future : running) {
                    future.get();
                }
                long elapsed = System.nanoTime() - t;
                if (warm) {
                    sendingNanos += elapsed;
                    measured += chunkSpans;
                    latencies.addAll(chunkLatencies);
                } else {
                    warm = true; // the first chunk warms the JIT and creates the dataset
                }
                sent += chunkSpans;
                if (sent / 1_000_000 != (sent - chunkSpans) / 1_000_000) {
                    System.out.printf("  ingested %,d spans, %,.0f spans/s so far%n", sent, sendingNanos == 0 ? 0 : measured / (sendingNanos / 1e9));
                }
            }
        } finally {
            pool.shutdownNow();
        }
        List<Double> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        row("OTLP/gRPC ingest, %d exporters, ~512-span exports".formatted(clients), "%,.0f spans/s".formatted(measured / (sendingNanos / 1e9)),
                "≥ 50,000", "52,000 (4 cores)");
        row("  per-export latency p50 / p99", "%.1f / %.1f ms".formatted(percentile(sorted, 0.5), percentile(sorted, 0.99)), "", "");
    }

    private static void queries(LakeshardClient client, List<SpanRequests.TraceRef> sample, long start, long end, String when) {
        long minute = Duration.ofMinutes(1).toNanos();
        measure("trace by id, no time hint, " + when, sample.size(), i -> {
            SpanRequests.TraceRef ref = sample.get(i);
            int found = client.getTrace(GetTraceRequest.newBuilder().setTraceId(HEX.formatHex(ref.traceId())).build()).spans().size();
            check(found >= 8, "trace of " + found + " spans");
        }, "≤ 50", "~100 (10M spans)");
        measure("trace by id, time hint ±1 min, " + when, sample.size(), i -> {
            SpanRequests.TraceRef ref = sample.get(i);
            int found = client.getTrace(GetTraceRequest.newBuilder().setTraceId(HEX.formatHex(ref.traceId()))
                    .setTimeHint(TimeRange.newBuilder().setStartUnixNano(ref.startNanos() - minute).setEndUnixNano(ref.startNanos() + minute))
                    .build()).spans().size();
            check(found >= 8, "trace of " + found + " spans");
        }, "≤ 50", "");
        Random random = new Random(3);
        int searches = Math.min(50, sample.size());
        Supplier<TimeRange> hour = () -> {
            long from = start + (long) (random.nextDouble() * (end - start - Duration.ofHours(1).toNanos()));
            return TimeRange.newBuilder().setStartUnixNano(from).setEndUnixNano(from + Duration.ofHours(1).toNanos()).build();
        };
        measure("search: service + http.route = ..., 1 h, limit 20, " + when, searches, i -> {
            int service = random.nextInt(SpanRequests.SERVICES);
            client.searchTraces(SearchTracesRequest.newBuilder().setTimeRange(hour.get()).setServiceName(SpanRequests.service(service))
                    .addSpanAttributes(AttributeFilter.newBuilder().setKey("http.route")
                            .setValue(AttributeValue.newBuilder().setStringValue(SpanRequests.ROUTES[(service * 3) % SpanRequests.ROUTES.length])))
                    .setLimit(20).build());
        }, "≤ 300", "");
        measure("search: service + errors only, 1 h, limit 20, " + when, searches, i -> {
            client.searchTraces(SearchTracesRequest.newBuilder().setTimeRange(hour.get())
                    .setServiceName(SpanRequests.service(random.nextInt(SpanRequests.SERVICES))).setErrorsOnly(true).setLimit(20).build());
        }, "≤ 300", "");
        measure("RED: one service, 24 h, 1-minute buckets, " + when, Math.min(20, sample.size()), i -> {
            client.redMetrics(GetRedMetricsRequest.newBuilder().setTimeRange(TimeRange.newBuilder().setStartUnixNano(start).setEndUnixNano(end))
                    .setBucketSeconds(60).setServiceName(SpanRequests.service(random.nextInt(SpanRequests.SERVICES))).build());
        }, "", "");
    }

    /** DuckDB's EXPLAIN ANALYZE of a trace by id, without and with the time hint, as the trace queries write it. */
    private static void explain(int port, SpanRequests.TraceRef ref) throws Exception {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "explain", ConfigFactory.parseString("akka.loglevel = WARNING"));
        try {
            QueryServiceClient queries = QueryServiceClient.create(GrpcClientSettings.connectToServiceAt("127.0.0.1", port, system)
                    .withTls(false).withChannelBuilderOverrides(builder -> FixedAddressResolver.pin(builder, new InetSocketAddress("127.0.0.1", port))), system);
            StringBuilder id = new StringBuilder("'");
            for (byte b : ref.traceId()) {
                id.append("\\x").append(HEX.toHexDigits(b));
            }
            id.append("'::BLOB");
            long micros = ref.startNanos() / 1_000;
            DateTimeFormatter format = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
                    .withZone(ZoneOffset.UTC);
            String hint = " AND start_time >= TIMESTAMPTZ '" + format.format(Instant.EPOCH.plusNanos((micros - 61_000_000L) * 1_000))
                    + "' AND start_time <= TIMESTAMPTZ '" + format.format(Instant.EPOCH.plusNanos((micros + 61_000_000L) * 1_000))
                    + "' AND start_time_unix_nano >= " + (ref.startNanos() - 60_000_000_000L)
                    + " AND start_time_unix_nano < " + (ref.startNanos() + 60_000_000_000L);
            for (String where : List.of("", hint)) {
                String sql = "SELECT * FROM " + DATASET + " WHERE trace_id = " + id + where
                        + " QUALIFY row_number() OVER (PARTITION BY span_id ORDER BY start_time_unix_nano) = 1 ORDER BY start_time_unix_nano, span_id";
                System.out.println("EXPLAIN ANALYZE " + sql);
                System.out.println(queries.explain().addHeader("authorization", "Bearer " + KEY)
                        .invoke(ExplainRequest.newBuilder().setSql(sql).setAnalyze(true).build())
                        .toCompletableFuture().get(2, TimeUnit.MINUTES).getPlan());
            }
            queries.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } finally {
            system.terminate();
        }
    }

    private interface Query {
        void run(int i);
    }

    private static void measure(String name, int count, Query query, String target, String peer) {
        int warmUp = Math.min(WARM_UP, Math.max(1, count / 5));
        List<Double> times = new ArrayList<>();
        long budget = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.getLong("bench.query-budget-seconds", 90));
        for (int i = 0; i < count + warmUp; i++) {
            if (System.nanoTime() > budget && times.size() >= 20) {
                break; // a slow measurement stops at its time budget with what it has
            }
            long t = System.nanoTime();
            query.run(i % count);
            if (i >= warmUp) {
                times.add((System.nanoTime() - t) / 1e6);
            }
        }
        Collections.sort(times);
        row(name + " (p50 / p99 ms, " + times.size() + " runs)", "%.1f / %.1f".formatted(percentile(times, 0.5), percentile(times, 0.99)),
                target, peer);
        System.out.printf("  %s: p50 %.1f ms, p99 %.1f ms%n", name, percentile(times, 0.5), percentile(times, 0.99));
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("unexpected result: " + what);
        }
    }

    private static String rate(long spans, long nanos) {
        return "%,.0f spans/s".formatted(spans / (nanos / 1e9));
    }

    private static void row(String what, String value, String target, String peer) {
        TABLE.add(new String[] {what, value, target, peer});
        System.out.printf("  %s: %s%n", what, value);
    }

    private static void print() {
        System.out.printf("%n| measurement | Lakeshard | target | Jaeger v2 on ClickHouse |%n|---|---|---|---|%n");
        for (String[] row : TABLE) {
            System.out.printf("| %s | %s | %s | %s |%n", (Object[]) row);
        }
    }

    /** Other work on the machine shares its cores: the load says how much. */
    private static String loadAverage() throws IOException {
        String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
        return fields[0] + ", " + fields[1] + ", " + fields[2];
    }

    private static String vmHwm() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(line -> line.startsWith("VmHWM"))
                .map(line -> line.substring(6).trim()).findFirst().orElse("n/a");
    }

    private static double percentile(List<Double> sorted, double p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1)));
    }
}
