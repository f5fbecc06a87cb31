package io.lakeshard.traces.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.lakeshard.query.QueryRequest;
import io.lakeshard.query.catalog.TableResolver;
import io.lakeshard.query.engine.EngineSettings;
import io.lakeshard.query.engine.QueryEngine;
import io.lakeshard.query.engine.QueryResult;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetId;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.snapshot.SnapshotCache;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.PendingAppend;
import io.lakeshard.storage.table.TableSettings;
import io.lakeshard.storage.write.BatchWriter;
import io.lakeshard.storage.write.NewDataFile;
import io.lakeshard.traces.SpanSchema;
import io.lakeshard.traces.otlp.OtlpToArrow;
import io.lakeshard.traces.query.TimeRange;
import io.lakeshard.traces.query.TraceId;
import io.lakeshard.traces.sampling.SamplingPolicy.AttributeScope;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepAttribute;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepErrors;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepLargeTraces;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepPercentage;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepSlow;
import io.lakeshard.traces.sampling.SamplingPolicy.SlowScope;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The candidate query run by Lakeshard's query engine over a real span table (OTLP through {@link OtlpToArrow}, Delta
 * files, DuckDB), and every candidate decided: each kind of trace gets exactly the decision and the policy it should,
 * traces not ready or outside the window get none, and only the window's files are read.
 */
class SamplingCandidatesTest {
    private static final String TENANT = "acme";
    private static final DatasetName SPANS = SpanSchema.DEFAULT_DATASET;
    private static final DatasetName DECISIONS = DatasetName.parse("otel.traces.decisions");
    private static final Instant NOW = Instant.parse("2026-03-10T12:00:00Z");
    private static final Duration MS = Duration.ofMillis(1);
    private static final SamplerDefinition SAMPLER = SamplerDefinition.of("checkout", List.of(
            new KeepErrors(),
            new KeepSlow(Duration.ofSeconds(2), SlowScope.SPAN),
            new KeepSlow(Duration.ofSeconds(30), SlowScope.TRACE),
            new KeepLargeTraces(20),
            new KeepAttribute(AttributeScope.RESOURCE, "deployment.environment", "canary"),
            new KeepAttribute(AttributeScope.SPAN, "http.route", "/checkout"),
            new KeepAttribute(AttributeScope.SPAN, "user.name", "o'brien"),
            new KeepPercentage(25)));
    /** 25%: R ≥ 0.75 × 2^56 is kept. */
    private static final long T = 0xc0000000000000L;
    /** As the owner would: from a duration and an inactivity before now, to an inactivity after it. */
    private static final TimeRange WINDOW = new TimeRange(TimeRange.nanos(at("10:55:00")), TimeRange.nanos(at("12:05:00")));

    private final BufferAllocator allocator = new RootAllocator();
    private DeltaTable spans;
    private DeltaTable decisions;
    private QueryEngine engine;
    private long sequence;
    /** Files written with spans inside the window; the rest must not be read. */
    private int windowFiles;

    @BeforeEach
    void setUp(@TempDir Path dir) throws Exception {
        StorageRoot storage = StorageRoot.local(dir.resolve("storage"));
        spans = DeltaTable.create(storage, storage.tableUri(new DatasetId(TENANT, SPANS)), SpanSchema.definition(),
                TableSettings.defaults());
        Schema decisionSchema = new Schema(List.of(
                new Field(SpanSchema.TRACE_ID, FieldType.notNullable(new ArrowType.FixedSizeBinary(16)), null),
                new Field("policy", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
        decisions = DeltaTable.create(storage, storage.tableUri(new DatasetId(TENANT, DECISIONS)),
                DatasetDefinition.of(decisionSchema, List.of()), TableSettings.defaults());
        Map<DatasetName, SnapshotCache> caches = Map.of(SPANS, new SnapshotCache(spans), DECISIONS, new SnapshotCache(decisions));
        TableResolver resolver = new TableResolver() {
            @Override
            public Optional<SnapshotCache> resolve(String tenant, DatasetName name) {
                return tenant.equals(TENANT) ? Optional.ofNullable(caches.get(name)) : Optional.empty();
            }

            @Override
            public List<DatasetName> list(String tenant) {
                return tenant.equals(TENANT) ? List.copyOf(caches.keySet()) : List.of();
            }
        };
        engine = new QueryEngine(EngineSettings.defaults(dir.resolve("work"), List.of(dir.resolve("storage")))
                .withMemoryLimit("256MB").withThreads(1), resolver, allocator);
    }

    @AfterEach
    void tearDown() throws Exception {
        engine.close();
        allocator.close();
    }

    @Test
    void everyReadyTraceGetsItsPolicysDecision() {
        Map<TraceId, Decision> expected = new LinkedHashMap<>();

        // An error and a slow span: the first policy decides.
        ByteString error = traceId(1, 0, 0);
        write(at("11:40:06"), resource(null, span(error, 1, at("11:40:00"), Duration.ofSeconds(5), true),
                span(error, 2, at("11:40:00.5"), MS.multipliedBy(10), false)));
        expected.put(id(error), kept(error, "errors"));

        ByteString slowSpan = traceId(2, 0, 0);
        write(at("11:41:05"), resource(null, span(slowSpan, 1, at("11:41:00"), Duration.ofSeconds(3), false),
                span(slowSpan, 2, at("11:41:01"), MS, false)));
        expected.put(id(slowSpan), kept(slowSpan, "slow_span>2s"));

        // Ten 100 ms spans 4 s apart, in two exports: 36.1 s from the first start to the last end.
        ByteString longTrace = traceId(3, 0, 0);
        List<Span> first = new ArrayList<>();
        List<Span> second = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            (i < 5 ? first : second).add(span(longTrace, i + 1, at("11:42:00").plusSeconds(4L * i), MS.multipliedBy(100), false));
        }
        write(at("11:42:20"), resource(null, first.toArray(Span[]::new)));
        write(at("11:42:45"), resource(null, second.toArray(Span[]::new)));
        expected.put(id(longTrace), kept(longTrace, "slow_trace>30s"));

        ByteString large = traceId(4, 0, 0);
        write(at("11:43:01"), resource(null, spans(large, 21, at("11:43:00"))));
        expected.put(id(large), kept(large, "large_trace>20"));

        // 20 spans, one of them exported twice: 20 spans, not more than 20.
        ByteString twenty = traceId(5, 0, 0);
        Span[] twentySpans = spans(twenty, 20, at("11:44:00"));
        write(at("11:44:01"), resource(null, twentySpans));
        write(at("11:44:03"), resource(null, twentySpans[0]));
        expected.put(id(twenty), dropped(twenty));

        ByteString canary = traceId(6, 0, 0);
        write(at("11:45:01"), resource("canary", span(canary, 1, at("11:45:00"), MS, false)));
        expected.put(id(canary), kept(canary, "resource_attribute:deployment.environment=canary"));

        ByteString checkout = traceId(7, 0, 0);
        write(at("11:46:01"), resource("production", span(checkout, 1, at("11:46:00"), MS, false),
                span(checkout, 2, at("11:46:00.1"), MS, false, attribute("http.route", "/checkout"))));
        expected.put(id(checkout), kept(checkout, "span_attribute:http.route=/checkout"));

        ByteString quoted = traceId(8, 0, 0);
        write(at("11:46:11"), resource(null, span(quoted, 1, at("11:46:10"), MS, false, attribute("user.name", "o'brien"))));
        expected.put(id(quoted), kept(quoted, "span_attribute:user.name=o'brien"));

        // Near misses: the route on the resource, not a span; an int, not the string; another route.
        ByteString nearMiss = traceId(9, 0, 0);
        write(at("11:47:01"), ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
                .setResource(Resource.newBuilder().addAttributes(attribute("service.name", "cart"))
                        .addAttributes(attribute("http.route", "/checkout")))
                .addScopeSpans(ScopeSpans.newBuilder()
                        .addSpans(span(nearMiss, 1, at("11:47:00"), MS, false, attribute("http.route", "/cart")))
                        .addSpans(span(nearMiss, 2, at("11:47:00.1"), MS, false, KeyValue.newBuilder().setKey("user.name")
                                .setValue(AnyValue.newBuilder().setIntValue(7)).build()))))
                .build());
        expected.put(id(nearMiss), dropped(nearMiss));

        // Ordinary traces: the percentage decides by R, the last 56 bits, exactly at its threshold.
        ByteString top = traceId(10, 0, (1L << 56) - 1);
        ByteString atThreshold = traceId(11, 0x00, T);
        ByteString belowThreshold = traceId(12, 0xFF, T - 1);
        ByteString zero = traceId(13, 0xFF, 0);
        write(at("11:48:01"), resource(null, span(top, 1, at("11:48:00"), MS, false), span(atThreshold, 1, at("11:48:00"), MS, false),
                span(belowThreshold, 1, at("11:48:00"), MS, false), span(zero, 1, at("11:48:00"), MS, false)));
        expected.put(id(top), kept(top, "percentage:25"));
        expected.put(id(atThreshold), kept(atThreshold, "percentage:25"));
        expected.put(id(belowThreshold), dropped(belowThreshold));
        expected.put(id(zero), dropped(zero));

        // Started 62 minutes ago and still sending spans, the last 30 s ago: decided by its age.
        ByteString old = traceId(14, 0, 0);
        for (int minute = 0; minute <= 60; minute += 10) {
            write(at("10:58:01").plusSeconds(60L * minute), resource(null, span(old, minute + 1, at("10:58:00").plusSeconds(60L * minute), MS, false)));
        }
        write(at("11:59:30"), resource(null, span(old, 99, at("11:59:29"), MS, false)));
        expected.put(id(old), kept(old, "slow_trace>30s"));

        // Its last span arrived 2 minutes ago: not ready.
        ByteString active = traceId(15, 0, (1L << 56) - 1);
        write(at("11:57:51"), resource(null, span(active, 1, at("11:57:50"), MS, false)));
        write(at("11:58:00"), resource(null, span(active, 2, at("11:57:59"), MS, false)));

        // Decided at 11:36, and a late span since: the decisions dataset leaves it out.
        ByteString decided = traceId(16, 0, 0);
        write(at("11:30:05"), resource(null, span(decided, 1, at("11:30:00"), MS, true)));
        write(at("11:50:01"), resource(null, span(decided, 2, at("11:50:00"), MS, true)));
        decide(at("11:36:00"), decided);

        // Decided before the decisions read (11:00), its spans before the window: a late span in it is a candidate again.
        ByteString decidedLongAgo = traceId(17, 0, 0);
        writeOutsideWindow(at("10:50:05"), resource(null, span(decidedLongAgo, 1, at("10:50:00"), MS, false)));
        decide(at("10:56:00"), decidedLongAgo);
        write(at("11:51:01"), resource(null, span(decidedLongAgo, 2, at("11:51:00"), MS, true)));
        expected.put(id(decidedLongAgo), kept(decidedLongAgo, "errors"));

        // Errors outside the window: earlier today, and on the two days before (one file per day).
        writeOutsideWindow(at("08:00:05"), resource(null, span(traceId(18, 0, 0), 1, at("08:00:00"), MS, true)));
        writeOutsideWindow(Instant.parse("2026-03-09T23:59:00Z"), resource(null,
                span(traceId(19, 0, 0), 1, Instant.parse("2026-03-08T12:00:00Z"), MS, true),
                span(traceId(20, 0, 0), 1, Instant.parse("2026-03-09T12:00:00Z"), MS, true)));

        CandidateQuery query = CandidateQuery.of(SAMPLER, SPANS, WINDOW, NOW, Optional.of(new DecidedTraces(DECISIONS, at("11:00:00"))));
        Run run = run(query);
        Decider decider = new Decider(SAMPLER);
        Map<TraceId, Decision> decisionsMade = run.candidates().stream().map(decider::decide)
                .collect(Collectors.toMap(Decision::traceId, d -> d, (a, b) -> a, LinkedHashMap::new));
        assertEquals(expected, decisionsMade);
        assertEquals(expected.size(), run.candidates().size(), "one row per trace");

        Map<TraceId, Candidate> byId = run.candidates().stream().collect(Collectors.toMap(Candidate::traceId, c -> c));
        assertEquals(new Candidate(id(longTrace), 10, false, MS.multipliedBy(100), Duration.ofMillis(36_100), at("11:42:00"),
                at("11:42:45"), Set.of()), byId.get(id(longTrace)));
        assertEquals(20, byId.get(id(twenty)).spanCount());
        assertEquals(at("11:44:03"), byId.get(id(twenty)).lastArrival(), "the copy arrived last");
        assertEquals(Set.of(5), byId.get(id(checkout)).matchedAttributes());
        assertEquals(Set.of(), byId.get(id(nearMiss)).matchedAttributes());
        assertEquals(at("11:59:30"), byId.get(id(old)).lastArrival());
        assertEquals(at("11:58:00"), byId.get(id(old)).readyAt(SAMPLER), "an hour after its first start");
        assertEquals(List.of(id(old), id(error)), run.candidates().subList(0, 2).stream().map(Candidate::traceId).toList(),
                "by first start");

        // Only the files of the window: not the day before's, not the earlier ones of its own day.
        int spanFiles = spans.snapshot().files().size();
        assertEquals(windowFiles, run.result().get(SPANS), "span files read of " + spanFiles);
        assertEquals(windowFiles + 4, spanFiles);
        assertEquals(1, run.result().get(DECISIONS), "only the decisions written since 11:00");

        // Four minutes later the active trace has been quiet for five; the rest stay as they were.
        Run later = run(CandidateQuery.of(SAMPLER, SPANS, WINDOW, NOW.plus(Duration.ofMinutes(4)),
                Optional.of(new DecidedTraces(DECISIONS, at("11:00:00")))));
        Map<TraceId, Decision> laterDecisions = later.candidates().stream().map(decider::decide)
                .collect(Collectors.toMap(Decision::traceId, d -> d));
        Map<TraceId, Decision> expectedLater = new LinkedHashMap<>(expected);
        expectedLater.put(id(active), kept(active, "percentage:25"));
        assertEquals(expectedLater, laterDecisions);

        // Without the decisions, the decided trace is a candidate again: telling it apart is then the owner's.
        Run undeduplicated = run(CandidateQuery.of(SAMPLER, SPANS, WINDOW, NOW, Optional.empty()));
        assertTrue(undeduplicated.candidates().stream().anyMatch(c -> c.traceId().equals(id(decided))));
        assertEquals(expected.size() + 1, undeduplicated.candidates().size());
    }

    @Test
    void theWindowBoundsItsDaysAndStartTimes() {
        TimeRange acrossMidnight = new TimeRange(TimeRange.nanos(Instant.parse("2026-03-09T23:30:00Z")),
                TimeRange.nanos(Instant.parse("2026-03-10T00:30:00.000000500Z")));
        String sql = CandidateQuery.of(SAMPLER, SPANS, acrossMidnight, NOW, Optional.empty()).sql();
        assertTrue(sql.contains(" WHERE _ls_partition_date >= DATE '2026-03-09' AND _ls_partition_date <= DATE '2026-03-10'"
                + " AND start_time >= TIMESTAMPTZ '2026-03-09T23:29:59.999000Z' AND start_time <= TIMESTAMPTZ '2026-03-10T00:30:00.001000Z'"
                + " AND start_time_unix_nano >= 1773099000000000000 AND start_time_unix_nano < 1773102600000000500 GROUP BY trace_id"), sql);
        assertTrue(sql.contains("coalesce(bool_or(attributes['user.name'].string_value = 'o''brien'), false) AS attribute_6"), sql);
        assertTrue(sql.contains(" FROM traces WHERE (last_arrival_unix_micros < 1773143700000000"
                + " OR first_start_unix_nano < 1773140400000000000) ORDER BY first_start_unix_nano, trace_id"), sql);
    }

    private record Run(List<Candidate> candidates, Map<DatasetName, Integer> result) {}

    private Run run(CandidateQuery query) {
        List<Candidate> candidates = new ArrayList<>();
        try (QueryResult result = engine.execute(QueryRequest.of("candidates", TENANT, query.sql()))) {
            while (result.next()) {
                candidates.addAll(query.candidates(result.batch()));
            }
            return new Run(candidates, result.filesScanned());
        }
    }

    private void write(Instant ingestTime, ExportTraceServiceRequest request) {
        windowFiles += append(ingestTime, request);
    }

    private void writeOutsideWindow(Instant ingestTime, ExportTraceServiceRequest request) {
        append(ingestTime, request);
    }

    /** One commit of one export, as written at {@code ingestTime}; returns the files it wrote (one per day). */
    private int append(Instant ingestTime, ExportTraceServiceRequest request) {
        try (OtlpToArrow.Converted converted = OtlpToArrow.convert(request, allocator)) {
            assertEquals(0, converted.rejectedSpans(), converted.errorMessage());
            BatchWriter writer = BatchWriter.forDefinition(spans.storage(), spans.root(), spans.snapshot().schema(),
                    spans.definition(), allocator);
            List<NewDataFile> files = writer.write(converted.spans(), "batch-" + sequence, ingestTime);
            spans.appendGroup(List.of(new PendingAppend(files, new IdempotencyKey("test", ++sequence))), spans.latestVersion());
            return files.size();
        }
    }

    private void decide(Instant decidedAt, ByteString traceId) {
        Schema schema = decisions.snapshot().schema().userSchema();
        try (VectorSchemaRoot batch = VectorSchemaRoot.create(schema, allocator)) {
            FixedSizeBinaryVector ids = (FixedSizeBinaryVector) batch.getVector(SpanSchema.TRACE_ID);
            VarCharVector policies = (VarCharVector) batch.getVector("policy");
            ids.allocateNew(1);
            policies.allocateNew(1);
            ids.set(0, traceId.toByteArray());
            policies.set(0, "errors".getBytes(StandardCharsets.UTF_8));
            batch.setRowCount(1);
            BatchWriter writer = BatchWriter.forDefinition(decisions.storage(), decisions.root(), decisions.snapshot().schema(),
                    decisions.definition(), allocator);
            List<NewDataFile> files = writer.write(batch, "decision-" + sequence, decidedAt);
            decisions.appendGroup(List.of(new PendingAppend(files, new IdempotencyKey("test", ++sequence))), decisions.latestVersion());
        }
    }

    private static Instant at(String time) {
        return Instant.parse("2026-03-10T" + time + "Z");
    }

    /**
     * A trace id: the trace's number in the first 8 bytes, {@code byte8} next, and {@code random} in the last 7 bytes,
     * the bits the percentage reads.
     */
    private static ByteString traceId(int n, int byte8, long random) {
        long low = ((long) byte8 << 56) | (random & 0x00FF_FFFF_FFFF_FFFFL);
        return ByteString.copyFrom(ByteBuffer.allocate(16).putLong(0x5B8EFFF798030000L + n).putLong(low).flip());
    }

    private static TraceId id(ByteString traceId) {
        return new TraceId(HexFormat.of().formatHex(traceId.toByteArray()));
    }

    private static Decision kept(ByteString traceId, String policy) {
        return new Decision(id(traceId), true, Optional.of(policy));
    }

    private static Decision dropped(ByteString traceId) {
        return Decision.dropped(id(traceId));
    }

    private static Span span(ByteString traceId, int n, Instant start, Duration duration, boolean error, KeyValue... attributes) {
        long startNanos = TimeRange.nanos(start);
        return Span.newBuilder()
                .setTraceId(traceId)
                .setSpanId(ByteString.copyFrom(ByteBuffer.allocate(8).putLong(0x1000L + n).flip()))
                .setName("span " + n)
                .setKind(Span.SpanKind.SPAN_KIND_SERVER)
                .setStartTimeUnixNano(startNanos)
                .setEndTimeUnixNano(startNanos + duration.toNanos())
                .setStatus(Status.newBuilder().setCode(error ? Status.StatusCode.STATUS_CODE_ERROR : Status.StatusCode.STATUS_CODE_OK))
                .addAllAttributes(List.of(attributes))
                .build();
    }

    /** {@code count} spans of 1 ms, 10 ms apart. */
    private static Span[] spans(ByteString traceId, int count, Instant start) {
        Span[] spans = new Span[count];
        for (int i = 0; i < count; i++) {
            spans[i] = span(traceId, i + 1, start.plus(MS.multipliedBy(10L * i)), MS, false);
        }
        return spans;
    }

    private static ExportTraceServiceRequest resource(String environment, Span... spans) {
        Resource.Builder resource = Resource.newBuilder().addAttributes(attribute("service.name", "checkout"));
        if (environment != null) {
            resource.addAttributes(attribute("deployment.environment", environment));
        }
        return ExportTraceServiceRequest.newBuilder()
                .addResourceSpans(ResourceSpans.newBuilder().setResource(resource)
                        .addScopeSpans(ScopeSpans.newBuilder().addAllSpans(List.of(spans))))
                .build();
    }

    private static KeyValue attribute(String key, String value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
    }
}
