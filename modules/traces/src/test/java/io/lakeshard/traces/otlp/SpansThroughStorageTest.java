package io.lakeshard.traces.otlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.query.QueryRequest;
import io.lakeshard.query.catalog.TableResolver;
import io.lakeshard.query.engine.EngineSettings;
import io.lakeshard.query.engine.QueryEngine;
import io.lakeshard.query.engine.QueryResult;
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
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.complex.MapVector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spans written to a Delta table and read back through DuckDB are the spans that were exported: nothing of the span
 * schema is lost to Parquet, Delta or the query engine's types.
 */
class SpansThroughStorageTest {
    private static final String TENANT = "acme";
    /** Small batches, so that spans of one resource and scope arrive in several. */
    private static final int BATCH_ROWS = 2;

    private final BufferAllocator allocator = new RootAllocator();
    private DeltaTable table;
    private SnapshotCache spans;
    private QueryEngine engine;

    @BeforeEach
    void setUp(@TempDir Path dir) throws Exception {
        StorageRoot storage = StorageRoot.local(dir.resolve("storage"));
        DatasetId id = new DatasetId(TENANT, SpanSchema.DEFAULT_DATASET);
        table = DeltaTable.create(storage, storage.tableUri(id), SpanSchema.definition(), TableSettings.defaults());
        spans = new SnapshotCache(table);
        TableResolver resolver = new TableResolver() {
            @Override
            public Optional<SnapshotCache> resolve(String tenant, DatasetName name) {
                return tenant.equals(TENANT) && name.equals(SpanSchema.DEFAULT_DATASET) ? Optional.of(spans) : Optional.empty();
            }

            @Override
            public List<DatasetName> list(String tenant) {
                return tenant.equals(TENANT) ? List.of(SpanSchema.DEFAULT_DATASET) : List.of();
            }
        };
        engine = new QueryEngine(EngineSettings.defaults(dir.resolve("work"), List.of(dir.resolve("storage")))
                .withMemoryLimit("256MB").withThreads(1).withBatchRows(BATCH_ROWS), resolver, allocator);
    }

    @AfterEach
    void tearDown() throws Exception {
        engine.close();
        allocator.close();
    }

    private void append(ExportTraceServiceRequest request, long sequence) {
        try (OtlpToArrow.Converted converted = OtlpToArrow.convert(request, allocator)) {
            BatchWriter writer = BatchWriter.forDefinition(table.storage(), table.root(), table.snapshot().schema(),
                    table.definition(), allocator);
            List<NewDataFile> files = writer.write(converted.spans(), "batch-" + sequence, Instant.now());
            table.appendGroup(List.of(new PendingAppend(files, new IdempotencyKey("test", sequence))), table.latestVersion());
        }
    }

    @Test
    void everyFieldRoundTripsThroughDeltaAndDuckDb() {
        ExportTraceServiceRequest request = OtlpFixtures.everything();
        append(request, 1);
        assertEquals(OtlpFixtures.asTracesData(request), readBack(9));
    }

    @Test
    void exportsInSeveralCommitsComeBackGroupedByResourceAndScope() {
        ExportTraceServiceRequest request = OtlpFixtures.everything();
        // The first resource's scopes in two exports, each with the rest of the resources after it.
        for (int scope = 0; scope < 2; scope++) {
            ExportTraceServiceRequest.Builder export = ExportTraceServiceRequest.newBuilder()
                    .addResourceSpans(request.getResourceSpans(0).toBuilder().clearScopeSpans()
                            .addScopeSpans(request.getResourceSpans(0).getScopeSpans(scope)));
            if (scope == 1) {
                export.addAllResourceSpans(request.getResourceSpansList().subList(1, request.getResourceSpansCount()));
            }
            append(export.build(), scope + 1);
        }
        assertEquals(OtlpFixtures.asTracesData(request), readBack(9));
    }

    private TracesData readBack(int spanCount) {
        ArrowToOtlp traces = new ArrowToOtlp();
        String sql = "SELECT * FROM " + SpanSchema.DEFAULT_DATASET + " ORDER BY start_time_unix_nano";
        int batches = 0;
        try (QueryResult result = engine.execute(QueryRequest.of("read-back", TENANT, sql))) {
            while (result.next()) {
                // Not what was written: a BLOB for a fixed-size binary.
                assertInstanceOf(VarBinaryVector.class, result.batch().getVector(SpanSchema.TRACE_ID));
                assertInstanceOf(MapVector.class, result.batch().getVector(SpanSchema.ATTRIBUTES));
                traces.add(result.batch());
                batches++;
            }
        }
        assertEquals(spanCount, traces.spanCount());
        assertTrue(batches > 1, "the spans came in several batches: " + batches);
        return traces.build();
    }
}
