package io.lakeshard.server;

import static org.apache.arrow.vector.types.TimeUnit.MICROSECOND;
import static org.apache.arrow.vector.types.TimeUnit.NANOSECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.grpc.GrpcClientSettings;
import akka.grpc.GrpcServiceException;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lakeshard.api.v1.Consistency;
import io.lakeshard.api.v1.Dataset;
import io.lakeshard.api.v1.DatasetServiceClient;
import io.lakeshard.api.v1.GetDatasetRequest;
import io.lakeshard.api.v1.IdempotencyKey;
import io.lakeshard.api.v1.IngestServiceClient;
import io.lakeshard.api.v1.QueryRequest;
import io.lakeshard.api.v1.QueryResponse;
import io.lakeshard.api.v1.QueryServiceClient;
import io.lakeshard.api.v1.RegisterDatasetRequest;
import io.lakeshard.api.v1.TimeTravel;
import io.lakeshard.api.v1.WriteChunk;
import io.lakeshard.api.v1.WriteRequest;
import io.lakeshard.api.v1.WriteResponse;
import io.lakeshard.arrow.ArrowStreams;
import io.lakeshard.grpc.FixedAddressResolver;
import io.lakeshard.cluster.table.TableRef;
import io.lakeshard.server.grpc.ArrowIpc;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.storage.AllTypes;
import io.lakeshard.storage.TestTables;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.maintenance.Maintenance;
import io.lakeshard.storage.maintenance.Vacuum;
import io.lakeshard.storage.scan.ColumnPredicate;
import io.lakeshard.storage.table.DeltaTable;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.TimeStampNanoTZVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ViewVarCharVector;
import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The API as a client uses it: generated stubs over real gRPC on loopback, against one server on its defaults. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServerEndToEndTest {
    private static final String ACME_KEY = "acme-key-1";
    private static final String GLOBEX_KEY = "globex-key-1";
    private static final long PANDAS_NANOS = 1_700_000_000_123_456_000L;
    private static final Schema PANDAS_DATASET = new Schema(List.of(
            new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
            new Field("service", FieldType.nullable(ArrowType.Utf8.INSTANCE), null),
            new Field("body", FieldType.nullable(ArrowType.Utf8.INSTANCE), null),
            new Field("host", FieldType.nullable(ArrowType.Utf8.INSTANCE), null),
            new Field("event_time", FieldType.nullable(new ArrowType.Timestamp(MICROSECOND, "UTC")), null),
            new Field("hits", FieldType.nullable(new ArrowType.Int(64, true)), null),
            new Field("ratio", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null)));

    private LakeshardServer server;
    private ActorSystem<Void> clientSystem;
    private DatasetServiceClient datasets;
    private IngestServiceClient ingest;
    private QueryServiceClient queries;
    private BufferAllocator allocator;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        allocator = new RootAllocator();
        server = TestServers.start(dir, """
                lakeshard.server.max-message-bytes = 256KiB
                lakeshard.server.max-concurrent-queries-per-tenant = 1
                lakeshard.server.api-keys = [
                  { tenant = "acme", sha256 = "%s" },
                  { tenant = "globex", sha256 = "%s" }
                ]
                """.formatted(ApiKeys.sha256(ACME_KEY), ApiKeys.sha256(GLOBEX_KEY)));
        clientSystem = ActorSystem.create(Behaviors.empty(), "client", ConfigFactory.parseString("akka.loglevel = WARNING"));
        GrpcClientSettings settings = GrpcClientSettings.connectToServiceAt("127.0.0.1", server.port(), clientSystem)
                .withChannelBuilderOverrides(builder -> FixedAddressResolver.pin(builder, new InetSocketAddress("127.0.0.1", server.port()))).withTls(false);
        datasets = DatasetServiceClient.create(settings, clientSystem);
        ingest = IngestServiceClient.create(settings, clientSystem);
        queries = QueryServiceClient.create(settings, clientSystem);
    }

    @AfterAll
    void stop() throws Exception {
        datasets.close();
        ingest.close();
        queries.close();
        clientSystem.terminate();
        server.close();
        allocator.close();
    }

    private Dataset register(String key, String name, Schema schema, List<String> partitions) throws Exception {
        return await(() -> datasets.registerDataset().addHeader("authorization", "Bearer " + key).invoke(RegisterDatasetRequest.newBuilder()
                .setName(name).setArrowSchema(ipcSchema(schema)).addAllPartitionColumns(partitions).build()));
    }

    private WriteResponse write(String key, String dataset, long firstRow, int rows, String appId, long sequence) throws Exception {
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, firstRow, rows)) {
            return await(() -> ingest.write().addHeader("authorization", "Bearer " + key).invoke(WriteRequest.newBuilder()
                    .setDataset(dataset).setArrowIpc(ipc(batch))
                    .setKey(IdempotencyKey.newBuilder().setAppId(appId).setSequence(sequence)).build()));
        }
    }

    private List<Map<String, Object>> query(String key, String sql) throws Exception {
        List<QueryResponse> responses = queries.query().addHeader("authorization", "Bearer " + key)
                .invoke(QueryRequest.newBuilder().setSql(sql)
                        .setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES).build())
                .runWith(Sink.seq(), clientSystem).toCompletableFuture().get(60, TimeUnit.SECONDS);
        ByteString stream = ByteString.EMPTY;
        for (QueryResponse response : responses) {
            stream = stream.concat(response.getArrowIpc());
        }
        assertTrue(responses.get(responses.size() - 1).hasSummary(), "the summary comes last");
        List<Map<String, Object>> rows = new ArrayList<>();
        try (ArrowStreamReader reader = new ArrowStreamReader(stream.newInput(), allocator)) {
            while (reader.loadNextBatch()) {
                rows.addAll(TestTables.rows(reader.getVectorSchemaRoot(), false));
            }
        }
        return rows;
    }

    @Test
    void registerWriteRetryAndQueryThroughTheApi() throws Exception {
        Dataset created = register(ACME_KEY, "obs.test.events", AllTypes.SCHEMA, List.of("region"));
        assertTrue(created.getCreated());
        assertFalse(register(ACME_KEY, "obs.test.events", AllTypes.SCHEMA, List.of("region")).getCreated(), "idempotent");

        WriteResponse first = write(ACME_KEY, "obs.test.events", 0, 25, "client-a", 1);
        assertEquals(25, first.getRows());
        assertFalse(first.getReplay());
        WriteResponse retry = write(ACME_KEY, "obs.test.events", 0, 5, "client-a", 1);
        assertTrue(retry.getReplay(), "same key: a replay, nothing written");
        assertEquals(first.getTableVersion(), retry.getTableVersion(), "the version that committed it");
        assertEquals(25, retry.getRows(), "the rows committed under the key, not the retry's");

        List<Map<String, Object>> rows = query(ACME_KEY, "SELECT id, region FROM obs.test.events ORDER BY id");
        assertEquals(25, rows.size());
        assertEquals(0L, rows.get(0).get("id"));
        assertEquals(24L, rows.get(24).get("id"));

        HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest
                .newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
                BodyHandlers.ofString());
        assertEquals(200, metrics.statusCode());
        for (String series : List.of("lakeshard_writes_total{result=\"applied\"}", "lakeshard_writes_total{result=\"replay\"}",
                "lakeshard_write_rows_total", "lakeshard_commit_seconds_count", "lakeshard_query_seconds_count",
                "lakeshard_snapshot_lag_versions", "lakeshard_queries_running", "lakeshard_snapshot_incremental_refreshes",
                "lakeshard_snapshot_full_loads")) {
            assertTrue(metrics.body().contains(series), series + " in\n" + metrics.body());
        }
    }

    @Test
    void twoTenantsWithTheSameDatasetNameNeverSeeEachOthersRows() throws Exception {
        register(ACME_KEY, "shared.name.t", AllTypes.SCHEMA, List.of());
        register(GLOBEX_KEY, "shared.name.t", AllTypes.SCHEMA, List.of());
        write(ACME_KEY, "shared.name.t", 0, 10, "a", 1);
        write(GLOBEX_KEY, "shared.name.t", 1_000, 3, "g", 1);
        assertEquals(List.of(Map.of("n", 10L, "low", 0L)), query(ACME_KEY, "SELECT count(*) AS n, min(id) AS low FROM shared.name.t"));
        assertEquals(List.of(Map.of("n", 3L, "low", 1_000L)), query(GLOBEX_KEY, "SELECT count(*) AS n, min(id) AS low FROM shared.name.t"));
    }

    @Test
    void everyMistakeGetsAStatusAClientCanActOn() throws Exception {
        StatusRuntimeException noKey = failure(() -> datasets.getDataset(GetDatasetRequest.newBuilder().setName("a.b.c").build()));
        assertEquals(Status.Code.UNAUTHENTICATED, noKey.getStatus().getCode());
        StatusRuntimeException wrongKey = failure(() -> datasets.getDataset().addHeader("authorization", "Bearer nope")
                .invoke(GetDatasetRequest.newBuilder().setName("a.b.c").build()));
        assertEquals(Status.Code.UNAUTHENTICATED, wrongKey.getStatus().getCode());

        Schema unsigned = new Schema(List.of(new Field("u", FieldType.nullable(new ArrowType.Int(32, false)), null)));
        StatusRuntimeException badSchema = failure(() -> datasets.registerDataset().addHeader("authorization", "Bearer " + ACME_KEY)
                .invoke(RegisterDatasetRequest.newBuilder().setName("bad.schema.t").setArrowSchema(ipcSchema(unsigned)).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, badSchema.getStatus().getCode());
        assertTrue(badSchema.getStatus().getDescription().contains("schema.u"), badSchema.getStatus().getDescription());

        StatusRuntimeException badName = failure(() -> datasets.getDataset().addHeader("authorization", "Bearer " + ACME_KEY)
                .invoke(GetDatasetRequest.newBuilder().setName("Not A Name").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, badName.getStatus().getCode());

        StatusRuntimeException unknown = failure(() -> datasets.getDataset().addHeader("authorization", "Bearer " + ACME_KEY)
                .invoke(GetDatasetRequest.newBuilder().setName("no.such.dataset").build()));
        assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());

        register(ACME_KEY, "conflict.test.t", AllTypes.SCHEMA, List.of());
        StatusRuntimeException conflict = failure(() -> datasets.registerDataset().addHeader("authorization", "Bearer " + ACME_KEY)
                .invoke(RegisterDatasetRequest.newBuilder().setName("conflict.test.t").setArrowSchema(ipcSchema(
                        new Schema(List.of(new Field("x", FieldType.nullable(ArrowType.Utf8.INSTANCE), null))))).build()));
        assertEquals(Status.Code.ALREADY_EXISTS, conflict.getStatus().getCode());

        StatusRuntimeException otherTenants = failure(() -> datasets.getDataset().addHeader("authorization", "Bearer " + GLOBEX_KEY)
                .invoke(GetDatasetRequest.newBuilder().setName("conflict.test.t").build()));
        assertEquals(Status.Code.NOT_FOUND, otherTenants.getStatus().getCode(), "another tenant's dataset does not exist");

        StatusRuntimeException oversize = failure(() -> {
            try (VectorSchemaRoot batch = AllTypes.batch(allocator, 0, 3_000)) {
                return ingest.write().addHeader("authorization", "Bearer " + ACME_KEY).invoke(WriteRequest.newBuilder()
                        .setDataset("conflict.test.t").setArrowIpc(ipc(batch))
                        .setKey(IdempotencyKey.newBuilder().setAppId("big").setSequence(1)).build());
            }
        });
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, oversize.getStatus().getCode());

        StatusRuntimeException refused = failure(() -> queries.query().addHeader("authorization", "Bearer " + ACME_KEY)
                .invoke(QueryRequest.newBuilder().setSql("SELECT * FROM read_text('/etc/passwd')").build())
                .runWith(Sink.seq(), clientSystem));
        assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
        assertTrue(refused.getStatus().getDescription().contains("table functions are not allowed"));
    }

    @Test
    void aTenantsConcurrentQueriesAreLimitedAndASlowQueryHitsItsDeadline() throws Exception {
        register(ACME_KEY, "limits.test.t", AllTypes.SCHEMA, List.of());
        write(ACME_KEY, "limits.test.t", 0, 30, "limits", 1);
        Supplier<CompletableFuture<List<QueryResponse>>> startSlow = () -> queries.query()
                .addHeader("authorization", "Bearer " + ACME_KEY).invoke(QueryRequest.newBuilder()
                        .setSql("SELECT count(*) FROM limits.test.t a, limits.test.t b, limits.test.t c, limits.test.t d, "
                                + "limits.test.t e, limits.test.t f, limits.test.t g "
                                + "WHERE (a.id * 31 + b.id * 17 + c.id * 13 + d.id * 11 + e.id * 7 + f.id * 5 + g.id * 3) % 99991 = 12345")
                        .setTimeoutMillis(3_000).build())
                .runWith(Sink.seq(), clientSystem).toCompletableFuture();
        var slow = startSlow.get();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        Status.Code limited = null;
        while (limited == null && System.nanoTime() < deadline) {
            if (slow.isDone()) {
                // The permit of an earlier query was not back yet, so the slow one was refused: start it again.
                slow = startSlow.get();
                continue;
            }
            try {
                queries.query().addHeader("authorization", "Bearer " + ACME_KEY)
                        .invoke(QueryRequest.newBuilder().setSql("SELECT 1").build())
                        .runWith(Sink.seq(), clientSystem).toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                limited = status(e).getCode();
            }
        }
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, limited, "a second query of the tenant while the first runs");
        var running = slow;
        ExecutionException timedOut = Assertions.assertThrows(ExecutionException.class,
                () -> running.get(60, TimeUnit.SECONDS));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, status(timedOut).getCode());
        assertEquals(1, query(ACME_KEY, "SELECT 1 AS one").size(), "the permit came back");
    }

    @Test
    void aWriteWhoseTableMovedUnderItsWriterIsRetryableAndTheRetryCommitsOnce() throws Exception {
        register(ACME_KEY, "moved.test.t", AllTypes.SCHEMA, List.of());
        write(ACME_KEY, "moved.test.t", 0, 5, "mover", 1);
        // Another writer (an old owner, a split brain) commits behind the table's writer.
        var record = server.service().node().registry().get("acme", DatasetName.parse("moved.test.t"))
                .toCompletableFuture().get(10, TimeUnit.SECONDS).orElseThrow();
        var ref = new TableRef("acme", record.name(), record.incarnation());
        var outsider = DeltaTable.at(server.service().node().tables().storage(), ref.location(server.service().node().tables().storage()));
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, 100, 2)) {
            TestTables.commit(outsider, TestTables.write(outsider, allocator, batch), new io.lakeshard.storage.table.IdempotencyKey("outsider", 1));
        }
        Exception moved = Assertions.assertThrows(Exception.class,
                () -> write(ACME_KEY, "moved.test.t", 5, 5, "mover", 2));
        assertEquals(Status.Code.UNAVAILABLE, status(moved).getCode(), String.valueOf(moved));
        WriteResponse retried = write(ACME_KEY, "moved.test.t", 5, 5, "mover", 2);
        assertFalse(retried.getReplay(), "the writer reloaded; the retry commits");
        assertEquals(List.of(Map.of("n", 12L)), query(ACME_KEY, "SELECT count(*) AS n FROM moved.test.t"));

        StatusRuntimeException noSuchVersion = failure(() -> queries.query().addHeader("authorization", "Bearer " + ACME_KEY)
                .invoke(QueryRequest.newBuilder().setSql("SELECT count(*) FROM moved.test.t")
                        .addTimeTravel(TimeTravel.newBuilder().setTable("moved.test.t").setVersion(999)).build())
                .runWith(Sink.seq(), clientSystem));
        assertEquals(Status.Code.FAILED_PRECONDITION, noSuchVersion.getStatus().getCode());
    }

    @Test
    void aVersionWhoseFilesWereVacuumedIsAFailedPrecondition() throws Exception {
        register(ACME_KEY, "vacuumed.test.t", AllTypes.SCHEMA, List.of());
        long written = write(ACME_KEY, "vacuumed.test.t", 0, 5, "vacuumer", 1).getTableVersion();
        // Delete every row and vacuum as if two hours had passed: the written version's files are gone.
        var record = server.service().node().registry().get("acme", DatasetName.parse("vacuumed.test.t"))
                .toCompletableFuture().get(10, TimeUnit.SECONDS).orElseThrow();
        var storage = server.service().node().tables().storage();
        var table = DeltaTable.at(storage,
                new TableRef("acme", record.name(), record.incarnation()).location(storage));
        new Maintenance(table, allocator).deleteRows(List.of(ColumnPredicate.ge("id", 0L)));
        assertEquals(1, new Vacuum(table, Clock.offset(Clock.systemUTC(), Duration.ofHours(2)))
                .run(Duration.ofHours(1), false, false).files().size());

        StatusRuntimeException vacuumed = failure(() -> queries.query().addHeader("authorization", "Bearer " + ACME_KEY)
                .invoke(QueryRequest.newBuilder().setSql("SELECT count(*) FROM vacuumed.test.t")
                        .addTimeTravel(TimeTravel.newBuilder().setTable("vacuumed.test.t").setVersion(written)).build())
                .runWith(Sink.seq(), clientSystem));
        assertEquals(Status.Code.FAILED_PRECONDITION, vacuumed.getStatus().getCode(), String.valueOf(vacuumed.getStatus()));
        assertTrue(vacuumed.getStatus().getDescription().contains("vacuum"), vacuumed.getStatus().getDescription());
    }

    @Test
    void anUploadInChunksIsOneWrite() throws Exception {
        register(ACME_KEY, "stream.test.t", AllTypes.SCHEMA, List.of());
        ByteString whole;
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, 0, 300)) {
            whole = ipc(batch);
        }
        List<WriteChunk> chunks = new ArrayList<>();
        for (int offset = 0; offset < whole.size(); offset += 4096) {
            var chunk = WriteChunk.newBuilder().setArrowIpc(whole.substring(offset, Math.min(whole.size(), offset + 4096)));
            if (offset == 0) {
                chunk.setDataset("stream.test.t").setKey(IdempotencyKey.newBuilder().setAppId("uploader").setSequence(1));
            }
            chunks.add(chunk.build());
        }
        assertTrue(chunks.size() > 3);
        WriteResponse response = await(() -> ingest.writeStream().addHeader("authorization", "Bearer " + ACME_KEY)
                .invoke(Source.from(chunks)));
        assertEquals(300, response.getRows());
        assertEquals(List.of(Map.of("n", 300L)), query(ACME_KEY, "SELECT count(*) AS n FROM stream.test.t"));
    }

    /**
     * A Python user's write: the stream pyarrow sends for a pandas frame (strings dictionary-encoded, large or as
     * views, nanosecond timestamps with the zone spelled '+00:00', int32, float32, ZSTD-compressed buffers) into a
     * dataset registered with Lakeshard's types, then queried back; a lossy one is INVALID_ARGUMENT.
     */
    @Test
    void aPandasFrameAsPyarrowSendsItIsWrittenAndQueriedBack() throws Exception {
        register(ACME_KEY, "py.test.events", PANDAS_DATASET, List.of());

        ByteString frame = pyarrowStream(0);
        WriteResponse written = await(() -> ingest.write().addHeader("authorization", "Bearer " + ACME_KEY)
                .invoke(pandasWrite(frame, 1)));
        assertEquals(3, written.getRows());

        List<Map<String, Object>> rows = query(ACME_KEY, "SELECT id, service, body, host, epoch_us(event_time) AS at_us, "
                + "hits, ratio FROM py.test.events ORDER BY id");
        assertEquals(3, rows.size());
        for (int i = 0; i < 3; i++) {
            Map<String, Object> row = rows.get(i);
            assertEquals((long) i, row.get("id"));
            assertEquals(i == 2 ? null : List.of("api", "db").get(i), row.get("service"));
            assertEquals("body-" + i, row.get("body"));
            assertEquals("a host name longer than twelve bytes " + i, row.get("host"));
            assertEquals(PANDAS_NANOS / 1000 + i, row.get("at_us"));
            assertEquals(10L * i, row.get("hits"));
            assertEquals(0.5, row.get("ratio"));
        }

        ByteString lossy = pyarrowStream(1);
        StatusRuntimeException refused = failure(() -> ingest.write().addHeader("authorization", "Bearer " + ACME_KEY)
                .invoke(pandasWrite(lossy, 2)));
        String message = refused.getStatus().getDescription();
        assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
        assertTrue(message.contains("batch.event_time") && message.contains(
                "cannot convert Timestamp(NANOSECOND, +00:00) to Timestamp(MICROSECOND, UTC)")
                && message.contains("at row 0"), message);
    }

    private static WriteRequest pandasWrite(ByteString ipc, long sequence) {
        return WriteRequest.newBuilder().setDataset("py.test.events").setArrowIpc(ipc)
                .setKey(IdempotencyKey.newBuilder().setAppId("python").setSequence(sequence)).build();
    }

    /**
     * Three rows as pyarrow types a pandas frame: {@code service} dictionary-encoded (a categorical), {@code body} a
     * large string, {@code host} a string view, {@code event_time} nanoseconds in '+00:00' ({@code extraNanos} past
     * whole microseconds), {@code hits} int32, {@code ratio} float32; buffers ZSTD-compressed, the dictionary sent as
     * a dictionary batch.
     */
    private ByteString pyarrowStream(long extraNanos) throws IOException {
        DictionaryEncoding encoding = new DictionaryEncoding(0, false, new ArrowType.Int(32, true));
        Field service = new Field("service", new FieldType(true, new ArrowType.Int(32, true), encoding), null);
        Schema schema = new Schema(List.of(
                new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
                service,
                new Field("body", FieldType.nullable(ArrowType.LargeUtf8.INSTANCE), null),
                new Field("host", FieldType.nullable(ArrowType.Utf8View.INSTANCE), null),
                new Field("event_time", FieldType.nullable(new ArrowType.Timestamp(NANOSECOND, "+00:00")), null),
                new Field("hits", FieldType.nullable(new ArrowType.Int(32, true)), null),
                new Field("ratio", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)), null)));
        try (VarCharVector values = new VarCharVector("service", allocator);
                VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
            values.allocateNew();
            values.setSafe(0, "api".getBytes(StandardCharsets.UTF_8));
            values.setSafe(1, "db".getBytes(StandardCharsets.UTF_8));
            values.setValueCount(2);
            DictionaryProvider.MapDictionaryProvider dictionaries = new DictionaryProvider.MapDictionaryProvider();
            dictionaries.put(new Dictionary(values, encoding));
            root.allocateNew();
            for (int i = 0; i < 3; i++) {
                ((BigIntVector) root.getVector("id")).set(i, i);
                if (i < 2) {
                    ((IntVector) root.getVector("service")).set(i, i);
                } else {
                    root.getVector("service").setNull(i);
                }
                ((LargeVarCharVector) root.getVector("body")).setSafe(i, ("body-" + i).getBytes(StandardCharsets.UTF_8));
                ((ViewVarCharVector) root.getVector("host")).setSafe(i, ("a host name longer than twelve bytes " + i)
                        .getBytes(StandardCharsets.UTF_8));
                ((TimeStampNanoTZVector) root.getVector("event_time")).set(i, PANDAS_NANOS + i * 1000L + extraNanos);
                ((IntVector) root.getVector("hits")).set(i, 10 * i);
                ((Float4Vector) root.getVector("ratio")).set(i, 0.5f);
            }
            root.setRowCount(3);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ArrowStreamWriter writer = new ArrowStreamWriter(root, dictionaries, Channels.newChannel(out),
                    IpcOption.DEFAULT, CompressionCodec.Factory.INSTANCE, CompressionUtil.CodecType.ZSTD)) {
                writer.start();
                writer.writeBatch();
                writer.end();
            }
            return ByteString.copyFrom(out.toByteArray());
        }
    }

    private static Status status(Throwable error) {
        Throwable cause = error instanceof ExecutionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof GrpcServiceException grpc) {
            return grpc.getStatus();
        }
        return ((StatusRuntimeException) cause).getStatus();
    }

    private static <T> T await(Supplier<CompletionStage<T>> call) throws Exception {
        try {
            return call.get().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    private static StatusRuntimeException failure(Supplier<CompletionStage<?>> call) {
        ExecutionException e = Assertions.assertThrows(ExecutionException.class,
                () -> call.get().toCompletableFuture().get(60, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof StatusRuntimeException, String.valueOf(e.getCause()));
        return (StatusRuntimeException) e.getCause();
    }

    private ByteString ipcSchema(Schema schema) {
        return ArrowIpc.schema(schema, allocator);
    }

    private static ByteString ipc(VectorSchemaRoot batch) {
        return ByteString.copyFrom(ArrowStreams.write(batch));
    }
}
