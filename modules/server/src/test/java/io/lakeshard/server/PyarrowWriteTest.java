package io.lakeshard.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.grpc.GrpcClientSettings;
import akka.stream.javadsl.Sink;
import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lakeshard.api.v1.Consistency;
import io.lakeshard.api.v1.DatasetServiceClient;
import io.lakeshard.api.v1.IdempotencyKey;
import io.lakeshard.api.v1.IngestServiceClient;
import io.lakeshard.api.v1.QueryRequest;
import io.lakeshard.api.v1.QueryResponse;
import io.lakeshard.api.v1.QueryServiceClient;
import io.lakeshard.api.v1.RegisterDatasetRequest;
import io.lakeshard.api.v1.WriteRequest;
import io.lakeshard.api.v1.WriteResponse;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.server.grpc.ArrowIpc;
import io.lakeshard.storage.TestTables;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
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
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Python user's write through the API: the stream pyarrow sends for a pandas frame (strings dictionary-encoded,
 * large or as views, nanosecond timestamps with the zone spelled '+00:00', int32, float32, ZSTD-compressed buffers)
 * into a dataset registered with Lakeshard's types, then queried back; a lossy one is INVALID_ARGUMENT.
 */
class PyarrowWriteTest {
    private static final String KEY = "acme-key-1";
    private static final long AT_NANOS = 1_700_000_000_123_456_000L;
    private static final Schema DATASET = new Schema(List.of(
            new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
            new Field("service", FieldType.nullable(ArrowType.Utf8.INSTANCE), null),
            new Field("body", FieldType.nullable(ArrowType.Utf8.INSTANCE), null),
            new Field("host", FieldType.nullable(ArrowType.Utf8.INSTANCE), null),
            new Field("event_time", FieldType.nullable(new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")), null),
            new Field("hits", FieldType.nullable(new ArrowType.Int(64, true)), null),
            new Field("ratio", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null)));

    private final BufferAllocator allocator = new RootAllocator();
    private LakeshardServer server;
    private ActorSystem<Void> clientSystem;
    private DatasetServiceClient datasets;
    private IngestServiceClient ingest;
    private QueryServiceClient queries;

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        server = TestServers.start(dir, """
                lakeshard.server.api-keys = [ { tenant = "acme", sha256 = "%s" } ]
                """.formatted(ApiKeys.sha256(KEY)));
        clientSystem = ActorSystem.create(Behaviors.empty(), "client", ConfigFactory.parseString("akka.loglevel = WARNING"));
        GrpcClientSettings settings = GrpcClientSettings.connectToServiceAt("127.0.0.1", server.port(), clientSystem).withTls(false);
        datasets = DatasetServiceClient.create(settings, clientSystem);
        ingest = IngestServiceClient.create(settings, clientSystem);
        queries = QueryServiceClient.create(settings, clientSystem);
    }

    @AfterEach
    void stop() throws Exception {
        datasets.close();
        ingest.close();
        queries.close();
        clientSystem.terminate();
        server.close();
        allocator.close();
    }

    @Test
    void aPandasFrameAsPyarrowSendsItIsWrittenAndQueriedBack() throws Exception {
        datasets.registerDataset().addHeader("authorization", "Bearer " + KEY).invoke(RegisterDatasetRequest.newBuilder()
                .setName("py.test.events").setArrowSchema(ArrowIpc.schema(DATASET, allocator)).build())
                .toCompletableFuture().get(60, SECONDS);

        WriteResponse written = write(pyarrowStream(0), 1);
        assertEquals(3, written.getRows());

        List<Map<String, Object>> rows = query("SELECT id, service, body, host, epoch_us(event_time) AS at_us, hits, ratio "
                + "FROM py.test.events ORDER BY id");
        assertEquals(3, rows.size());
        for (int i = 0; i < 3; i++) {
            Map<String, Object> row = rows.get(i);
            assertEquals((long) i, row.get("id"));
            assertEquals(i == 2 ? null : List.of("api", "db").get(i), row.get("service"));
            assertEquals("body-" + i, row.get("body"));
            assertEquals("a host name longer than twelve bytes " + i, row.get("host"));
            assertEquals(AT_NANOS / 1000 + i, row.get("at_us"));
            assertEquals(10L * i, row.get("hits"));
            assertEquals(0.5, row.get("ratio"));
        }

        ExecutionException lossy = assertThrows(ExecutionException.class,
                () -> ingest.write().addHeader("authorization", "Bearer " + KEY).invoke(request(pyarrowStream(1), 2))
                        .toCompletableFuture().get(60, SECONDS));
        Status status = ((StatusRuntimeException) lossy.getCause()).getStatus();
        assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode());
        assertTrue(status.getDescription().contains("batch.event_time") && status.getDescription().contains(
                "cannot convert Timestamp(NANOSECOND, +00:00) to Timestamp(MICROSECOND, UTC)")
                && status.getDescription().contains("at row 0"), status.getDescription());
    }

    private WriteResponse write(ByteString ipc, long sequence) throws Exception {
        return ingest.write().addHeader("authorization", "Bearer " + KEY).invoke(request(ipc, sequence))
                .toCompletableFuture().get(60, SECONDS);
    }

    private static WriteRequest request(ByteString ipc, long sequence) {
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
                new Field("event_time", FieldType.nullable(new ArrowType.Timestamp(TimeUnit.NANOSECOND, "+00:00")), null),
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
                ((TimeStampNanoTZVector) root.getVector("event_time")).set(i, AT_NANOS + i * 1000L + extraNanos);
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

    private List<Map<String, Object>> query(String sql) throws Exception {
        List<QueryResponse> responses = queries.query().addHeader("authorization", "Bearer " + KEY)
                .invoke(QueryRequest.newBuilder().setSql(sql).setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES).build())
                .runWith(Sink.seq(), clientSystem).toCompletableFuture().get(60, SECONDS);
        ByteString stream = ByteString.EMPTY;
        for (QueryResponse response : responses) {
            stream = stream.concat(response.getArrowIpc());
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        try (ArrowStreamReader reader = new ArrowStreamReader(stream.newInput(), allocator)) {
            while (reader.loadNextBatch()) {
                rows.addAll(TestTables.rows(reader.getVectorSchemaRoot(), false));
            }
        }
        return rows;
    }
}
