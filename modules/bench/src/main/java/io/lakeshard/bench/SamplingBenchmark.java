package io.lakeshard.bench;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.grpc.GrpcClientSettings;
import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.QueryResults;
import io.lakeshard.grpc.FixedAddressResolver;
import io.lakeshard.query.Consistency;
import io.lakeshard.server.LakeshardServer;
import io.lakeshard.service.Principal;
import io.lakeshard.service.ingest.WriteRequest;
import io.lakeshard.service.query.Queries;
import io.lakeshard.service.query.QuerySpec;
import io.lakeshard.service.sampling.SamplerEntity;
import io.lakeshard.service.sampling.Samplers;
import io.lakeshard.service.traces.ReadOptions;
import io.lakeshard.service.traces.Traces;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.traces.SpanSchema;
import io.lakeshard.traces.otlp.OtlpToArrow;
import io.lakeshard.traces.query.TimeRange;
import io.lakeshard.traces.sampling.CandidateQuery;
import io.lakeshard.traces.sampling.DecidedTraces;
import io.lakeshard.traces.sampling.SamplerDefinition;
import io.lakeshard.traces.sampling.SamplerStatements;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepErrors;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepLargeTraces;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepPercentage;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepSlow;
import io.lakeshard.traces.sampling.SamplingPolicy.SlowScope;
import io.lakeshard.traces.sampling.TickWindow;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceClient;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tail sampling's throughput, lag and memory on one node: a backlog of traces ingested over OTLP/gRPC, then a sampler
 * created over it while more traces keep arriving at a steady rate. Reports how fast the backlog is decided
 * (traces/s), the decision lag of the steady traces after the backlog (from becoming ready to decided: p50 / p99),
 * a steady tick's candidate query over a table holding a day of history, and the JVM's peak resident memory. The limit beside it:
 * the same traces' OTLP ingest rate, which a sampler keeping up with its traffic has to match.
 */
public final class SamplingBenchmark {
    private static final String KEY = "bench-sampling-key";
    private static final DatasetName SPANS = SpanSchema.DEFAULT_DATASET;
    private static final int SPANS_PER_TRACE = 2;
    private static final int TRACES_PER_REQUEST = 250;
    /**
     * Each tick aggregates the spans that started in the last {@code maxTraceDuration + inactivity}, so the maximum
     * trace duration, with the traffic, sets a tick's cost; the backlog is ingested within it.
     */
    private static final SamplerDefinition SAMPLER = new SamplerDefinition("bench", Duration.ofSeconds(2),
            Duration.ofSeconds(Long.getLong("bench.max-trace-duration-seconds", 30)), List.of(
            new KeepErrors(), new KeepSlow(Duration.ofSeconds(1), SlowScope.SPAN), new KeepLargeTraces(10), new KeepPercentage(10)));

    private SamplingBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path dir = WorkDirectory.fresh(Path.of(args[0]));
        long backlog = Long.getLong("bench.backlog-traces", 150_000);
        int steadyRate = Integer.getInteger("bench.steady-traces-per-second", 1_000);
        int steadySeconds = Integer.getInteger("bench.steady-seconds", 30);
        System.out.printf("tail sampling benchmark, %s: backlog %,d traces of %d spans, then %,d traces/s for %d s; load %s%n",
                Instant.now(), backlog, SPANS_PER_TRACE, steadyRate, steadySeconds, Files.readString(Path.of("/proc/loadavg")).trim());
        try (LakeshardServer server = BenchServers.start(dir.resolve("server"), KEY, """
                lakeshard.query.memory-limit = "256MB"
                """);
                LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
            ActorSystem<Void> exporters = ActorSystem.create(Behaviors.empty(), "otlp-exporters", ConfigFactory.parseString("akka.loglevel = WARNING"));
            TraceServiceClient grpc = TraceServiceClient.create(GrpcClientSettings.connectToServiceAt("127.0.0.1", server.port(), exporters)
                    .withTls(false).withChannelBuilderOverrides(builder -> FixedAddressResolver.pin(builder,
                            new InetSocketAddress("127.0.0.1", server.port()))), exporters);
            Generator generator = new Generator();
            try {
                Principal principal = Principal.tenant("bench");
                server.service().datasets().register(principal, SPANS, SpanSchema.definition(), MaintenancePolicy.defaults())
                        .toCompletableFuture().get(1, TimeUnit.MINUTES);
                long history = Long.getLong("bench.history-spans", 10_000_000);
                long h0 = System.nanoTime();
                long written = writeHistory(server, principal, generator, history);
                System.out.printf("history: %,d spans over the 24 hours before the last 10 minutes, in %.0f s (bulk writes, not OTLP)%n",
                        written, (System.nanoTime() - h0) / 1e9);
                System.out.printf("RSS after the history: %s (peak %s); the peak is measured again from here%n", status("VmRSS"), status("VmHWM"));
                // Linux resets VmHWM to the current RSS when 5 is written to clear_refs.
                Files.writeString(Path.of("/proc/self/clear_refs"), "5");
                long t0 = System.nanoTime();
                ingest(grpc, generator, backlog, 4);
                double ingestSeconds = (System.nanoTime() - t0) / 1e9;
                System.out.printf("backlog ingest over OTLP/gRPC, 4 exporters: %,.0f traces/s (%,.0f spans/s)%n",
                        backlog / ingestSeconds, backlog * SPANS_PER_TRACE / ingestSeconds);

                Samplers samplers = server.service().samplers();
                AtomicBoolean stop = new AtomicBoolean();
                AtomicLong steadySent = new AtomicLong();
                ExecutorService steady = Executors.newSingleThreadExecutor();
                Future<?> steadyLoad = steady.submit(() -> {
                    long started = System.nanoTime();
                    while (!stop.get()) {
                        long due = (long) ((System.nanoTime() - started) / 1e9 * steadyRate);
                        if (steadySent.get() + TRACES_PER_REQUEST <= due) {
                            send(grpc, generator.request(TRACES_PER_REQUEST));
                            steadySent.addAndGet(TRACES_PER_REQUEST);
                        } else {
                            Thread.sleep(5);
                        }
                    }
                    return null;
                });
                long created = System.nanoTime();
                samplers.create(principal, SPANS, SAMPLER, Optional.empty()).toCompletableFuture().get(1, TimeUnit.MINUTES);
                SamplerEntity.Status status;
                do {
                    Thread.sleep(100);
                    status = samplers.get(principal, SPANS, "bench").toCompletableFuture().get(1, TimeUnit.MINUTES);
                } while (status.decided() < backlog);
                double decideSeconds = (System.nanoTime() - created) / 1e9;
                Instant backlogDone = Instant.now();
                System.out.printf("backlog decided: %,d traces in %.1f s from the sampler's creation: %,.0f traces/s (%d ticks, "
                        + "while %,d steady traces/s arrived)%n", status.decided(), decideSeconds, status.decided() / decideSeconds,
                        status.ticks(), steadyRate);
                Thread.sleep(steadySeconds * 1000L);
                stop.set(true);
                steadyLoad.get();
                steady.shutdown();
                try (QueryResults results = client.query(
                        "SELECT count(*) AS traces, quantile_cont(lag_ms, 0.5) AS p50, quantile_cont(lag_ms, 0.99) AS p99, max(lag_ms) AS max "
                        + "FROM (SELECT (epoch_us(decided_at) - epoch_us(ready_at)) / 1000.0 AS lag_ms FROM otel.traces.spans_sampled_bench "
                        + "WHERE NOT late AND ready_at >= TIMESTAMPTZ '" + backlogDone.plusSeconds(2) + "')")) {
                    Map<String, Object> row = results.rows().next();
                    System.out.printf("decision lag of %,d steady traces after the backlog: p50 %.0f ms, p99 %.0f ms, max %.0f ms%n",
                            ((Number) row.get("traces")).longValue(), number(row, "p50"), number(row, "p99"), number(row, "max"));
                }
                long stored;
                try (QueryResults results = client.query("SELECT count(*) AS n FROM " + SPANS)) {
                    stored = ((Number) results.rows().next().get("n")).longValue();
                }
                candidateQuery(server.service().traces(), server.service().queries(), principal, stored);
                System.out.printf("JVM peak RSS from the OTLP ingest on (VmHWM: server, exporters and benchmark together): %s; heap limit %d "
                        + "MiB, DuckDB 256 MB%n", status("VmHWM"), Runtime.getRuntime().maxMemory() >> 20);
            } finally {
                grpc.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
                exporters.terminate();
            }
        }
    }

    /**
     * A steady-state tick's own candidate query, as the owner runs it at this moment: its window is the last
     * {@code maxTraceDuration + inactivity} of a table that holds the whole history, and every trace in it that is
     * ready is decided already, so the aggregate is of the traces still arriving.
     */
    private static void candidateQuery(Traces traces, Queries queries, Principal principal, long spans) throws Exception {
        Instant now = Instant.now().minusMillis(500);
        TickWindow window = TickWindow.of(SAMPLER, now, now, now, Duration.ofMinutes(1));
        CandidateQuery query = CandidateQuery.of(SAMPLER, SPANS, window.spans(), now,
                Optional.of(new DecidedTraces(DatasetName.parse("otel.traces.spans_sampled_bench"), window.decidedSince())));
        ReadOptions read = new ReadOptions(Consistency.LATEST_COMMITTED, Optional.empty());
        Stopwatch timing = Stopwatch.time(5, 50, () -> traces.run(principal, () -> SamplerStatements.candidates(query, 1_000_000), read)
                .toCompletableFuture().get(1, TimeUnit.MINUTES));
        System.out.printf("a tick's candidate query (window %d s) over a table of %,d spans: p50 %.1f ms, p99 %.1f ms%n",
                SAMPLER.maxTraceDuration().plus(SAMPLER.inactivity()).toSeconds(), spans, timing.median(), timing.p99());
        if (Boolean.getBoolean("bench.explain")) {
            System.out.println(queries.explain(principal, QuerySpec.of(query.sql()), true).toCompletableFuture().get(1, TimeUnit.MINUTES));
        }
    }

    /** Spans of the past day, written as the bulk API writes them: the table a sampler runs over is mostly history. */
    private static long writeHistory(LakeshardServer server, Principal principal, Generator generator, long spans) throws Exception {
        int tracesPerWrite = 50_000;
        long writes = Math.max(1, spans / (tracesPerWrite * SPANS_PER_TRACE));
        long end = TimeRange.nanos(Instant.now().minus(Duration.ofMinutes(10)));
        long step = Duration.ofHours(24).toNanos() / (writes * tracesPerWrite);
        long start = end - Duration.ofHours(24).toNanos();
        long written = 0;
        for (long w = 0; w < writes; w++) {
            ExportTraceServiceRequest request = generator.request(tracesPerWrite, start + w * tracesPerWrite * step, step);
            OtlpToArrow.Converted converted = OtlpToArrow.convert(request, server.service().allocator());
            if (converted.rejectedSpans() > 0) {
                throw new IllegalStateException(converted.errorMessage());
            }
            // The write closes the batch.
            written += server.service().ingest().write(principal, new WriteRequest(SPANS, Optional.of(new IdempotencyKey("history", w + 1)),
                    request.getSerializedSize()), converted.spans()).toCompletableFuture().get(5, TimeUnit.MINUTES).rows();
        }
        return written;
    }

    private static void ingest(TraceServiceClient grpc, Generator generator, long traces, int clients) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> running = new ArrayList<>();
            AtomicLong left = new AtomicLong(traces);
            for (int c = 0; c < clients; c++) {
                running.add(pool.submit(() -> {
                    while (left.getAndAdd(-TRACES_PER_REQUEST) > 0) {
                        send(grpc, generator.request(TRACES_PER_REQUEST));
                    }
                    return null;
                }));
            }
            for (Future<?> future : running) {
                future.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    private static void send(TraceServiceClient grpc, ExportTraceServiceRequest request) throws Exception {
        grpc.export().addHeader("authorization", "Bearer " + KEY).invoke(request).toCompletableFuture().get(2, TimeUnit.MINUTES);
    }

    /** Small traces as a service exports them: a server span and a child, 1% errors, 1% slow, 1% large. */
    private static final class Generator {
        private final SplittableRandom random = new SplittableRandom(7);
        private final Resource resource = Resource.newBuilder().addAttributes(KeyValue.newBuilder().setKey("service.name")
                .setValue(AnyValue.newBuilder().setStringValue("checkout"))).build();

        ExportTraceServiceRequest request(int traces) {
            return request(traces, TimeRange.nanos(Instant.now()), 0);
        }

        /** Traces ending at {@code now}, each {@code stepNanos} after the one before. */
        synchronized ExportTraceServiceRequest request(int traces, long first, long stepNanos) {
            ScopeSpans.Builder scope = ScopeSpans.newBuilder();
            long now = first;
            for (int t = 0; t < traces; t++) {
                byte[] traceId = new byte[16];
                byte[] rootId = new byte[8];
                random.nextBytes(traceId);
                random.nextBytes(rootId);
                int kind = random.nextInt(100);
                long duration = kind == 1 ? 1_500_000_000L : 2_000_000L;
                Span root = Span.newBuilder().setTraceId(ByteString.copyFrom(traceId)).setSpanId(ByteString.copyFrom(rootId))
                        .setName("GET /cart").setKind(Span.SpanKind.SPAN_KIND_SERVER).setStartTimeUnixNano(now - duration)
                        .setEndTimeUnixNano(now).setStatus(Status.newBuilder().setCode(kind == 0 ? Status.StatusCode.STATUS_CODE_ERROR
                                : Status.StatusCode.STATUS_CODE_UNSET)).build();
                scope.addSpans(root);
                int children = kind == 2 ? 12 : SPANS_PER_TRACE - 1;
                for (int c = 0; c < children; c++) {
                    byte[] spanId = new byte[8];
                    random.nextBytes(spanId);
                    scope.addSpans(root.toBuilder().setSpanId(ByteString.copyFrom(spanId)).setParentSpanId(ByteString.copyFrom(rootId))
                            .setName("SELECT cart").setKind(Span.SpanKind.SPAN_KIND_CLIENT).setStartTimeUnixNano(now - duration / 2)
                            .setStatus(Status.getDefaultInstance()).build());
                }
                now += stepNanos;
            }
            return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder().setResource(resource)
                    .addScopeSpans(scope)).build();
        }
    }

    private static double number(Map<String, Object> row, String column) {
        return row.get(column) == null ? Double.NaN : ((Number) row.get(column)).doubleValue();
    }

    /** A line of /proc/self/status: {@code VmRSS}, {@code VmHWM}. */
    private static String status(String field) throws Exception {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(line -> line.startsWith(field + ":"))
                .map(line -> line.substring(field.length() + 1).trim()).findFirst().orElse("?");
    }
}
