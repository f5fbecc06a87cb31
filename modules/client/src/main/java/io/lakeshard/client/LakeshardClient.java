package io.lakeshard.client;

import static java.util.Objects.requireNonNull;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.grpc.GrpcClientSettings;
import akka.stream.javadsl.StreamConverters;
import akka.util.ByteString;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lakeshard.api.v1.AdminServiceClient;
import io.lakeshard.api.v1.CancelRequest;
import io.lakeshard.api.v1.ClusterStatusRequest;
import io.lakeshard.api.v1.ClusterStatusResponse;
import io.lakeshard.api.v1.Dataset;
import io.lakeshard.api.v1.DatasetServiceClient;
import io.lakeshard.api.v1.DeleteRowsRequest;
import io.lakeshard.api.v1.DeleteRowsResponse;
import io.lakeshard.api.v1.DescribeTableRequest;
import io.lakeshard.api.v1.DescribeTableResponse;
import io.lakeshard.api.v1.DropDatasetRequest;
import io.lakeshard.api.v1.EvolveSchemaRequest;
import io.lakeshard.api.v1.GetDatasetRequest;
import io.lakeshard.api.v1.IdempotencyKey;
import io.lakeshard.api.v1.IngestServiceClient;
import io.lakeshard.api.v1.ListDatasetsRequest;
import io.lakeshard.api.v1.ListQueriesRequest;
import io.lakeshard.api.v1.ListTasksRequest;
import io.lakeshard.api.v1.MaintenanceRequest;
import io.lakeshard.api.v1.QueryRequest;
import io.lakeshard.api.v1.QueryServiceClient;
import io.lakeshard.api.v1.QueryStarted;
import io.lakeshard.api.v1.QuerySummary;
import io.lakeshard.api.v1.RegisterDatasetRequest;
import io.lakeshard.api.v1.RunningQuery;
import io.lakeshard.api.v1.Task;
import io.lakeshard.api.v1.WriteRequest;
import io.lakeshard.api.v1.WriteResponse;
import io.lakeshard.api.v1.WriterOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The Java SDK: typed calls to a Lakeshard server. Writes are retried with the same idempotency key while the
 * server says to retry, so a write is committed once whatever the network does.
 */
public final class LakeshardClient implements AutoCloseable {
    private static final Duration CALL_TIMEOUT = Duration.ofMinutes(5);

    private final ActorSystem<Void> system;
    private final String authorization;
    private final BufferAllocator allocator;
    private final DatasetServiceClient datasets;
    private final IngestServiceClient ingest;
    private final QueryServiceClient queries;
    private final AdminServiceClient admin;
    private final int writeAttempts;

    private LakeshardClient(ActorSystem<Void> system, GrpcClientSettings settings, String apiKey, int writeAttempts) {
        this.system = system;
        this.authorization = "Bearer " + requireNonNull(apiKey, "apiKey is null");
        this.allocator = new RootAllocator();
        this.datasets = DatasetServiceClient.create(settings, system);
        this.ingest = IngestServiceClient.create(settings, system);
        this.queries = QueryServiceClient.create(settings, system);
        this.admin = AdminServiceClient.create(settings, system);
        this.writeAttempts = writeAttempts;
    }

    /** A client of the server at {@code host:port}, without TLS (loopback, or behind a TLS-terminating proxy). */
    public static LakeshardClient connect(String host, int port, String apiKey) {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "lakeshard-client",
                ConfigFactory.parseString("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING").withFallback(ConfigFactory.load()));
        GrpcClientSettings settings = GrpcClientSettings.connectToServiceAt(host, port, system).withTls(false)
                .withChannelBuilderOverrides(builder -> builder.maxInboundMessageSize(64 << 20));
        return new LakeshardClient(system, settings, apiKey, 10);
    }

    /**
     * A client of a server that serves TLS; {@code trustStore} (PKCS12) holds the certificates to trust, or null for
     * the JVM's default trust.
     */
    public static LakeshardClient connectTls(String host, int port, String apiKey, java.nio.file.Path trustStore, String password) {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "lakeshard-client",
                ConfigFactory.parseString("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING").withFallback(ConfigFactory.load()));
        GrpcClientSettings settings = GrpcClientSettings.connectToServiceAt(host, port, system).withTls(true)
                .withChannelBuilderOverrides(builder -> builder.maxInboundMessageSize(64 << 20));
        if (trustStore != null) {
            settings = settings.withSslContext(trusting(trustStore, password));
        }
        return new LakeshardClient(system, settings, apiKey, 10);
    }

    private static javax.net.ssl.SSLContext trusting(java.nio.file.Path trustStore, String password) {
        try (var in = java.nio.file.Files.newInputStream(trustStore)) {
            java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
            store.load(in, password.toCharArray());
            javax.net.ssl.TrustManagerFactory trust = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (java.io.IOException | java.security.GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the trust store " + trustStore + ": " + e.getMessage(), e);
        }
    }

    public BufferAllocator allocator() {
        return allocator;
    }

    // Datasets

    public Dataset register(String name, Schema schema, List<String> partitionColumns, String eventTimeColumn, WriterOptions options) {
        return call(() -> datasets.registerDataset().addHeader("authorization", authorization).invoke(RegisterDatasetRequest.newBuilder()
                .setName(name).setArrowSchema(ArrowBytes.schema(schema, allocator)).addAllPartitionColumns(partitionColumns)
                .setEventTimeColumn(eventTimeColumn == null ? "" : eventTimeColumn)
                .setOptions(options == null ? WriterOptions.getDefaultInstance() : options).build()));
    }

    public Dataset register(String name, Schema schema, List<String> partitionColumns) {
        return register(name, schema, partitionColumns, null, null);
    }

    public Dataset dataset(String name) {
        return call(() -> datasets.getDataset().addHeader("authorization", authorization)
                .invoke(GetDatasetRequest.newBuilder().setName(name).build()));
    }

    public List<Dataset> datasets() {
        return call(() -> datasets.listDatasets().addHeader("authorization", authorization)
                .invoke(ListDatasetsRequest.getDefaultInstance())).getDatasetsList();
    }

    /** The dataset's user columns as Arrow. */
    public Schema schema(Dataset dataset) {
        return ArrowBytes.schema(dataset.getArrowSchema(), allocator);
    }

    public Dataset addColumns(String name, List<Field> columns) {
        return call(() -> datasets.evolveSchema().addHeader("authorization", authorization).invoke(EvolveSchemaRequest.newBuilder()
                .setName(name).setArrowColumns(ArrowBytes.schema(new Schema(columns), allocator)).build()));
    }

    /** Replaces the dataset's maintenance policy; unset fields take the defaults. */
    public Dataset updatePolicy(String name, io.lakeshard.api.v1.MaintenancePolicy policy) {
        return call(() -> datasets.updatePolicy().addHeader("authorization", authorization)
                .invoke(io.lakeshard.api.v1.UpdatePolicyRequest.newBuilder().setName(name).setPolicy(policy).build()));
    }

    public void drop(String name) {
        call(() -> datasets.dropDataset().addHeader("authorization", authorization)
                .invoke(DropDatasetRequest.newBuilder().setName(name).build()));
    }

    // Writes

    /**
     * Writes a batch under {@code appId}/{@code sequence}, retrying with the same key while the server says to retry.
     * {@code replay} in the response is true when an earlier attempt had already committed it.
     */
    public WriteResponse write(String dataset, VectorSchemaRoot batch, String appId, long sequence) {
        WriteRequest request = WriteRequest.newBuilder().setDataset(dataset).setArrowIpc(ArrowBytes.batch(batch))
                .setKey(IdempotencyKey.newBuilder().setAppId(appId).setSequence(sequence)).build();
        LakeshardException last = null;
        for (int attempt = 0; attempt < writeAttempts; attempt++) {
            try {
                return call(() -> ingest.write().addHeader("authorization", authorization).invoke(request));
            } catch (LakeshardException e) {
                if (!e.retryable()) {
                    throw e;
                }
                last = e;
                sleep(Duration.ofMillis(200L << Math.min(attempt, 5)));
            }
        }
        throw last;
    }

    /** A writer that batches rows by count, bytes and time, under its own app id, one batch in flight. */
    public BatchingWriter writer(String dataset, Schema schema, BatchingWriter.Settings settings) {
        return new BatchingWriter(this, dataset, schema, settings);
    }

    // Queries

    public QueryResults query(QueryRequest request) {
        CompletableFuture<QueryStarted> started = new CompletableFuture<>();
        CompletableFuture<QuerySummary> summary = new CompletableFuture<>();
        java.io.InputStream bytes = queries.query().addHeader("authorization", authorization).invoke(request)
                .map(response -> {
                    if (response.hasStarted()) {
                        started.complete(response.getStarted());
                        return ByteString.emptyByteString();
                    }
                    if (response.hasSummary()) {
                        summary.complete(response.getSummary());
                        return ByteString.emptyByteString();
                    }
                    return ByteString.fromArrayUnsafe(response.getArrowIpc().toByteArray());
                })
                .watchTermination((mat, done) -> {
                    done.whenComplete((ok, error) -> {
                        if (error != null) {
                            started.completeExceptionally(error);
                            summary.completeExceptionally(error);
                        }
                    });
                    return mat;
                })
                .runWith(StreamConverters.asInputStream(CALL_TIMEOUT), system);
        return new QueryResults(bytes, started, summary, allocator);
    }

    public QueryResults query(String sql) {
        return query(QueryRequest.newBuilder().setSql(sql)
                .setConsistency(io.lakeshard.api.v1.Consistency.CONSISTENCY_READ_YOUR_WRITES).build());
    }

    /** Cancels one of this tenant's queries, on whichever node it runs; false if none runs by that id. */
    public boolean cancel(String queryId) {
        return call(() -> queries.cancel().addHeader("authorization", authorization)
                .invoke(CancelRequest.newBuilder().setQueryId(queryId).build())).getCancelled();
    }

    /** This tenant's queries running anywhere in the cluster. */
    public List<RunningQuery> runningQueries() {
        return call(() -> queries.listQueries().addHeader("authorization", authorization)
                .invoke(ListQueriesRequest.getDefaultInstance())).getQueriesList();
    }

    public DescribeTableResponse describe(String table) {
        return call(() -> queries.describeTable().addHeader("authorization", authorization)
                .invoke(DescribeTableRequest.newBuilder().setTable(table).build()));
    }

    // Admin

    public String optimize(String dataset) {
        return call(() -> admin.optimize().addHeader("authorization", authorization)
                .invoke(MaintenanceRequest.newBuilder().setDataset(dataset).build())).getOutcome();
    }

    public String vacuum(String dataset) {
        return call(() -> admin.vacuum().addHeader("authorization", authorization)
                .invoke(MaintenanceRequest.newBuilder().setDataset(dataset).build())).getOutcome();
    }

    /** Drops the days older than the dataset's retention, now. */
    public String expire(String dataset) {
        return call(() -> admin.expire().addHeader("authorization", authorization)
                .invoke(MaintenanceRequest.newBuilder().setDataset(dataset).build())).getOutcome();
    }

    public DeleteRowsResponse deleteRows(String dataset, String where) {
        return call(() -> admin.deleteRows().addHeader("authorization", authorization)
                .invoke(DeleteRowsRequest.newBuilder().setDataset(dataset).setWhere(where).build()));
    }

    public List<Task> tasks() {
        return call(() -> admin.listTasks().addHeader("authorization", authorization)
                .invoke(ListTasksRequest.getDefaultInstance())).getTasksList();
    }

    public ClusterStatusResponse clusterStatus() {
        return call(() -> admin.clusterStatus().addHeader("authorization", authorization)
                .invoke(ClusterStatusRequest.getDefaultInstance()));
    }

    @Override
    public void close() {
        datasets.close();
        ingest.close();
        queries.close();
        admin.close();
        system.terminate();
        allocator.close();
    }

    private static <T> T call(Supplier<CompletionStage<T>> call) {
        try {
            return call.get().toCompletableFuture().get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw failure(e.getCause());
        } catch (TimeoutException e) {
            throw new LakeshardException(Status.Code.DEADLINE_EXCEEDED, "no answer within " + CALL_TIMEOUT, e);
        }
    }

    static LakeshardException failure(Throwable error) {
        if (error instanceof LakeshardException lakeshard) {
            return lakeshard;
        }
        if (error instanceof StatusRuntimeException status) {
            return new LakeshardException(status.getStatus().getCode(), String.valueOf(status.getStatus().getDescription()), status);
        }
        return new LakeshardException(Status.Code.UNAVAILABLE, String.valueOf(error.getMessage()), error);
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
