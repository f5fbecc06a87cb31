package io.lakeshard.service.traces;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import io.lakeshard.cluster.TestCluster;
import io.lakeshard.service.LakeshardService;
import io.lakeshard.service.Principal;
import io.lakeshard.service.ingest.WriteRequest;
import io.lakeshard.service.ingest.WriteResult;
import io.lakeshard.query.Consistency;
import io.lakeshard.service.query.QuerySpec;
import io.lakeshard.service.query.QueryStream;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import io.lakeshard.traces.SpanSchema;
import io.lakeshard.traces.otlp.OtlpToArrow;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batching of OTLP exports, on a real one-node cluster's ingest. The test holds the first writes in front of the
 * real ingest, so that "exports arriving while the dataset's writes are busy" is a state the test makes, not a race
 * it hopes to win.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExportBatcherTest {
    private static final Principal ACME = Principal.tenant("acme");
    private static final int SPANS = 2_000;

    private LakeshardService service;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        service = LakeshardService.start(LakeshardService.config(new TestCluster(dir, 1, "").config(0), ConfigFactory.empty()));
    }

    @AfterAll
    void stop() throws Exception {
        service.close();
    }

    @Test
    void exportsArrivingWhileWritesAreBusyGoTogetherUpToTheLimitAndAreAcknowledgedAfterTheirCommit() throws Exception {
        DatasetName dataset = traceDataset("otel.batched.spans");
        HeldWrites held = new HeldWrites(2);
        ExportBatcher batcher = new ExportBatcher(held, service.allocator(), 2, 20_000, 32L << 20);

        List<CompletableFuture<WriteResult>> acks = new ArrayList<>();
        for (int i = 0; i < 26; i++) {
            acks.add(batcher.write(ACME, dataset, spans("export-" + i), 1_000).toCompletableFuture());
        }
        assertEquals(List.of(SPANS, SPANS), held.rowsPerWrite(), "two writes start at once; the other exports wait");
        assertTrue(acks.stream().noneMatch(CompletableFuture::isDone), "nothing is acknowledged before its write commits");

        held.release();
        for (CompletableFuture<WriteResult> ack : acks) {
            ack.get(60, TimeUnit.SECONDS);
        }
        // 24 waiting exports of 2,000 spans, at most 20,000 spans a write: 10 + 10 + 4, taken oldest first (the two
        // threads that take them may call the ingest in either order).
        List<Integer> rows = held.rowsPerWrite();
        assertEquals(List.of(SPANS, SPANS), rows.subList(0, 2));
        assertEquals(List.of(10 * SPANS, 10 * SPANS, 4 * SPANS), rows.subList(2, rows.size()).stream()
                .sorted(Comparator.reverseOrder()).toList());
        for (int i = 2; i < 12; i++) {
            assertSame(acks.get(2).join(), acks.get(i).join(), "export " + i + " shares the write of the oldest waiting export");
        }
        assertNotSame(acks.get(2).join(), acks.get(12).join(), "the eleventh waiting export is over the limit: the next write");
        assertEquals(26L * SPANS, count("SELECT count(*) AS n FROM " + dataset));
        assertEquals(26L, count("SELECT count(DISTINCT service_name) AS n FROM " + dataset));
    }

    @Test
    void aFailedWriteFailsEveryExportItCarriedAndTheDatasetGoesOn() throws Exception {
        DatasetName dataset = traceDataset("otel.failing.spans");
        IllegalStateException failure = new IllegalStateException("the write failed");
        HeldWrites held = new HeldWrites(1, 2, failure);
        ExportBatcher batcher = new ExportBatcher(held, service.allocator(), 1, 65_536, 32L << 20);

        CompletableFuture<WriteResult> first = batcher.write(ACME, dataset, spans("first"), 1_000).toCompletableFuture();
        List<CompletableFuture<WriteResult>> carried = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            carried.add(batcher.write(ACME, dataset, spans("carried-" + i), 1_000).toCompletableFuture());
        }
        held.release();
        assertEquals(SPANS, first.get(60, TimeUnit.SECONDS).rows());
        for (CompletableFuture<WriteResult> export : carried) {
            ExecutionException error = assertThrows(ExecutionException.class, () -> export.get(60, TimeUnit.SECONDS));
            assertSame(failure, error.getCause());
        }
        WriteResult after = batcher.write(ACME, dataset, spans("after"), 1_000).toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertEquals(SPANS, after.rows(), "the failed write gave its place back");
        assertEquals(List.of(SPANS, 3 * SPANS, SPANS), held.rowsPerWrite());
        assertEquals(2L * SPANS, count("SELECT count(*) AS n FROM " + dataset));
        assertEquals(0L, count("SELECT count(*) AS n FROM " + dataset + " WHERE service_name LIKE 'carried-%'"));
    }

    /**
     * The real ingest behind a gate: the first {@code held} writes wait until {@link #release()}; write number
     * {@code failing} (from 1; 0 for none) fails without writing, closing its batch as the ingest would.
     */
    private final class HeldWrites implements ExportBatcher.Writes {
        private final int held;
        private final int failing;
        private final RuntimeException failure;
        private final CompletableFuture<Void> gate = new CompletableFuture<>();
        private final List<Integer> rowsPerWrite = new CopyOnWriteArrayList<>();

        HeldWrites(int held) {
            this(held, 0, null);
        }

        HeldWrites(int held, int failing, RuntimeException failure) {
            this.held = held;
            this.failing = failing;
            this.failure = failure;
        }

        @Override
        public CompletionStage<WriteResult> write(Principal principal, WriteRequest request, VectorSchemaRoot batch) {
            rowsPerWrite.add(batch.getRowCount());
            int number = rowsPerWrite.size();
            if (number == failing) {
                batch.close();
                return CompletableFuture.failedFuture(failure);
            }
            CompletionStage<Void> wait = number <= held ? gate : CompletableFuture.completedFuture(null);
            return wait.thenCompose(ignored -> service.ingest().write(principal, request, batch));
        }

        void release() {
            gate.complete(null);
        }

        List<Integer> rowsPerWrite() {
            return rowsPerWrite;
        }
    }

    private DatasetName traceDataset(String name) throws Exception {
        DatasetName dataset = DatasetName.parse(name);
        service.datasets().register(ACME, dataset, SpanSchema.definition(), MaintenancePolicy.defaults())
                .toCompletableFuture().get(60, TimeUnit.SECONDS);
        return dataset;
    }

    private long count(String sql) throws Exception {
        QuerySpec spec = QuerySpec.of(sql);
        QuerySpec committed = new QuerySpec(spec.label(), sql, spec.defaultCatalog(), spec.defaultSchema(), spec.rowLimit(), spec.timeout(),
                spec.deadline(), Consistency.READ_YOUR_WRITES, spec.timeTravel());
        try (QueryStream query = service.queries().start(ACME, committed).open()) {
            assertTrue(query.next());
            return ((Number) query.batch().getVector("n").getObject(0)).longValue();
        }
    }

    /** One export's spans as the OTLP doors convert them: one trace of {@link #SPANS} spans of {@code service}. */
    private VectorSchemaRoot spans(String serviceName) {
        byte[] traceId = new byte[16];
        ThreadLocalRandom.current().nextBytes(traceId);
        ScopeSpans.Builder scope = ScopeSpans.newBuilder();
        long start = System.currentTimeMillis() * 1_000_000L;
        for (int i = 0; i < SPANS; i++) {
            byte[] spanId = new byte[8];
            ThreadLocalRandom.current().nextBytes(spanId);
            spanId[0] = 1;
            scope.addSpans(Span.newBuilder().setTraceId(ByteString.copyFrom(traceId)).setSpanId(ByteString.copyFrom(spanId))
                    .setName("op-" + i % 7).setStartTimeUnixNano(start + i).setEndTimeUnixNano(start + i + 1_000_000L));
        }
        ExportTraceServiceRequest request = ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
                .setResource(Resource.newBuilder().addAttributes(KeyValue.newBuilder().setKey("service.name")
                        .setValue(AnyValue.newBuilder().setStringValue(serviceName))))
                .addScopeSpans(scope)).build();
        return OtlpToArrow.convert(request, service.allocator()).spans();
    }
}
