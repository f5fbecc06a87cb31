package io.lakeshard.client;

import io.lakeshard.grpc.FixedAddressResolver;
import static java.util.Objects.requireNonNull;

import akka.NotUsed;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.grpc.GrpcClientSettings;
import akka.stream.Attributes;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.SinkQueueWithCancel;
import akka.stream.javadsl.Source;
import akka.stream.javadsl.StreamConverters;
import akka.util.ByteString;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.lakeshard.api.v1.CancelRequest;
import io.lakeshard.api.v1.ClusterStatusRequest;
import io.lakeshard.api.v1.ClusterStatusResponse;
import io.lakeshard.api.v1.Consistency;
import io.lakeshard.api.v1.CreateSamplerRequest;
import io.lakeshard.api.v1.Dataset;
import io.lakeshard.api.v1.Decision;
import io.lakeshard.api.v1.DeleteRowsRequest;
import io.lakeshard.api.v1.DeleteRowsResponse;
import io.lakeshard.api.v1.DeleteSamplerRequest;
import io.lakeshard.api.v1.DescribeTableRequest;
import io.lakeshard.api.v1.DescribeTableResponse;
import io.lakeshard.api.v1.DropDatasetRequest;
import io.lakeshard.api.v1.EvolveSchemaRequest;
import io.lakeshard.api.v1.ExportQueryRequest;
import io.lakeshard.api.v1.ExportQueryResponse;
import io.lakeshard.api.v1.GetDatasetRequest;
import io.lakeshard.api.v1.GetImportRequest;
import io.lakeshard.api.v1.GetRedMetricsRequest;
import io.lakeshard.api.v1.GetSamplerRequest;
import io.lakeshard.api.v1.GetTraceRequest;
import io.lakeshard.api.v1.GetTraceResponse;
import io.lakeshard.api.v1.IdempotencyKey;
import io.lakeshard.api.v1.ImportJob;
import io.lakeshard.api.v1.ListDatasetsRequest;
import io.lakeshard.api.v1.ListImportsRequest;
import io.lakeshard.api.v1.ListQueriesRequest;
import io.lakeshard.api.v1.ListSamplersRequest;
import io.lakeshard.api.v1.ListServicesRequest;
import io.lakeshard.api.v1.ListTasksRequest;
import io.lakeshard.api.v1.MaintenancePolicy;
import io.lakeshard.api.v1.MaintenanceRequest;
import io.lakeshard.api.v1.QueryRequest;
import io.lakeshard.api.v1.QueryStarted;
import io.lakeshard.api.v1.QuerySummary;
import io.lakeshard.api.v1.ReadSpansRequest;
import io.lakeshard.api.v1.ReadSpansResponse;
import io.lakeshard.api.v1.RegisterDatasetRequest;
import io.lakeshard.api.v1.RunningQuery;
import io.lakeshard.api.v1.SearchTracesRequest;
import io.lakeshard.api.v1.SearchTracesResponse;
import io.lakeshard.api.v1.StartImportRequest;
import io.lakeshard.api.v1.StopImportRequest;
import io.lakeshard.api.v1.StreamDecisionsRequest;
import io.lakeshard.api.v1.Task;
import io.lakeshard.api.v1.UpdatePolicyRequest;
import io.lakeshard.api.v1.WriteRequest;
import io.lakeshard.api.v1.WriteResponse;
import io.lakeshard.api.v1.WriterOptions;
import io.lakeshard.client.Endpoints.Endpoint;
import io.lakeshard.client.sampling.Sampler;
import io.lakeshard.client.sampling.SamplerOptions;
import io.lakeshard.client.traces.RedPoint;
import io.lakeshard.client.traces.ServiceOperations;
import io.lakeshard.client.traces.Span;
import io.lakeshard.client.traces.Trace;
import io.lakeshard.client.traces.TracePage;
import io.lakeshard.client.traces.TraceSummary;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The Java SDK: typed calls to a Lakeshard cluster through any of its nodes. The client calls one node at a time
 * and moves on to the next of its endpoints when that node is unavailable. Writes are retried under the same
 * idempotency key, on whichever node answers, while the server says to retry, so a write is committed once whatever
 * the network does.
 */
public final class LakeshardClient implements AutoCloseable {
    private static final Duration CALL_TIMEOUT = Duration.ofMinutes(5);
    /** How long one write attempt waits for its answer before the client tries again, elsewhere if it can. */
    private static final Duration WRITE_ATTEMPT_TIMEOUT = Duration.ofMinutes(1);
    /** How long {@link #write} retries a write before it gives up. */
    private static final Duration WRITE_RETRY = Duration.ofMinutes(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);
    /** How long {@link #close} waits for the event loop to end, once the channels have. */
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private final ActorSystem<Void> system;
    private final EventLoopGroup eventLoop;
    private final Endpoints endpoints;
    private final String authorization;
    private final BufferAllocator allocator;

    private LakeshardClient(ActorSystem<Void> system, EventLoopGroup eventLoop, Endpoints endpoints, String apiKey) {
        this.system = requireNonNull(system, "system is null");
        this.eventLoop = requireNonNull(eventLoop, "eventLoop is null");
        this.endpoints = requireNonNull(endpoints, "endpoints is null");
        this.authorization = "Bearer " + requireNonNull(apiKey, "apiKey is null");
        this.allocator = new RootAllocator();
    }

    /** A client of the server at {@code host:port}, without TLS (loopback, or behind a TLS-terminating proxy). */
    public static LakeshardClient connect(String host, int port, String apiKey) {
        return connect(List.of(InetSocketAddress.createUnresolved(host, port)), apiKey);
    }

    /**
     * A client of the cluster whose nodes are {@code endpoints}, without TLS. A host name stands for every address it
     * resolves to. Calls go to the first endpoint until it is unavailable, then to the next: give each client the
     * list in its own order (shuffled) to spread clients over the nodes.
     */
    public static LakeshardClient connect(List<InetSocketAddress> endpoints, String apiKey) {
        return open(endpoints, apiKey, false, null);
    }

    /**
     * A client of a server that serves TLS; {@code trustStore} (PKCS12) holds the certificates to trust, or null for
     * the JVM's default trust.
     */
    public static LakeshardClient connectTls(String host, int port, String apiKey, Path trustStore, String password) {
        return connectTls(List.of(InetSocketAddress.createUnresolved(host, port)), apiKey, trustStore, password);
    }

    /** As {@link #connect(List, String)}, with TLS as {@link #connectTls(String, int, String, Path, String)}. */
    public static LakeshardClient connectTls(List<InetSocketAddress> endpoints, String apiKey, Path trustStore, String password) {
        return open(endpoints, apiKey, true, trustStore == null ? null : trusting(trustStore, password));
    }

    private static LakeshardClient open(List<InetSocketAddress> addresses, String apiKey, boolean tls, SSLContext trust) {
        requireNonNull(apiKey, "apiKey is null");
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "lakeshard-client",
                ConfigFactory.parseString("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING").withFallback(ConfigFactory.load()));
        // The client's own event loop rather than grpc's shared one, so that close() ends its threads: grpc keeps the
        // shared loop's threads for a while after the last channel closes, waiting in a native poll, and HotSpot's
        // exit waits 300 ms for threads in native code, which a short-lived program such as the CLI paid on every
        // run. NIO, as it is there on every platform (epoll is Linux's alone).
        EventLoopGroup eventLoop = new NioEventLoopGroup(0, new DefaultThreadFactory("lakeshard-client-netty", true));
        try {
            Endpoints endpoints = Endpoints.open(addresses, system,
                    (host, address, port) -> channel(system, eventLoop, host, address, port, tls, trust));
            return new LakeshardClient(system, eventLoop, endpoints, apiKey);
        } catch (RuntimeException e) {
            eventLoop.shutdownGracefully(0, CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            system.terminate();
            throw e;
        }
    }

    /** A channel to one resolved address of {@code host}, on the client's event loop; {@code trust} null: the JVM's. */
    private static GrpcClientSettings channel(ActorSystem<Void> system, EventLoopGroup eventLoop, String host, InetAddress address,
            int port, boolean tls, SSLContext trust) {
        GrpcClientSettings settings = GrpcClientSettings.connectToServiceAt(address.getHostAddress(), port, system)
                .withTls(tls)
                // A node that is down now may be back later: never give its channel up.
                .withConnectionAttempts(-1)
                .withChannelBuilderOverrides(builder -> builder.eventLoopGroup(eventLoop).channelType(NioSocketChannel.class)
                        .maxInboundMessageSize(64 << 20)
                        .nameResolverFactory(new FixedAddressResolver(address.getHostAddress() + ":" + port,
                                new InetSocketAddress(address, port))));
        if (tls) {
            // The name, not the address it resolved to, is what the server's certificate names.
            settings = settings.withOverrideAuthority(host);
        }
        return trust == null ? settings : settings.withSslContext(trust);
    }

    private static SSLContext trusting(Path trustStore, String password) {
        try (InputStream in = Files.newInputStream(trustStore)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password.toCharArray());
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the trust store " + trustStore + ": " + e.getMessage(), e);
        }
    }

    public BufferAllocator allocator() {
        return allocator;
    }

    // Datasets

    public Dataset register(String name, Schema schema, List<String> partitionColumns, String eventTimeColumn, WriterOptions options) {
        return retrying(endpoint -> endpoint.datasets().registerDataset().addHeader("authorization", authorization).invoke(RegisterDatasetRequest.newBuilder()
                .setName(name).setArrowSchema(ArrowBytes.schema(schema, allocator)).addAllPartitionColumns(partitionColumns)
                .setEventTimeColumn(eventTimeColumn == null ? "" : eventTimeColumn)
                .setOptions(options == null ? WriterOptions.getDefaultInstance() : options).build()));
    }

    public Dataset register(String name, Schema schema, List<String> partitionColumns) {
        return register(name, schema, partitionColumns, null, null);
    }

    /**
     * Adopts the Delta table at {@code location} (a directory or s3a:// prefix in the tenant's import directory) as
     * dataset {@code name}, with the table's own columns and partitions; {@code Dataset.read_only} says whether
     * Lakeshard writes it. Idempotent, like {@link #register}.
     */
    public Dataset adopt(String name, String location) {
        return adopt(RegisterDatasetRequest.newBuilder().setName(name).setLocation(location).build());
    }

    /** Adopts a table with a request of one's own: a policy, or the schema the table is expected to have. */
    public Dataset adopt(RegisterDatasetRequest request) {
        return retrying(endpoint -> endpoint.datasets().registerDataset().addHeader("authorization", authorization).invoke(request));
    }

    public Dataset dataset(String name) {
        return retrying(endpoint -> endpoint.datasets().getDataset().addHeader("authorization", authorization)
                .invoke(GetDatasetRequest.newBuilder().setName(name).build()));
    }

    public List<Dataset> datasets() {
        return retrying(endpoint -> endpoint.datasets().listDatasets().addHeader("authorization", authorization)
                .invoke(ListDatasetsRequest.getDefaultInstance())).getDatasetsList();
    }

    /** The dataset's user columns as Arrow. */
    public Schema schema(Dataset dataset) {
        return ArrowBytes.schema(dataset.getArrowSchema(), allocator);
    }

    public Dataset addColumns(String name, List<Field> columns) {
        return call(endpoint -> endpoint.datasets().evolveSchema().addHeader("authorization", authorization).invoke(EvolveSchemaRequest.newBuilder()
                .setName(name).setArrowColumns(ArrowBytes.schema(new Schema(columns), allocator)).build()));
    }

    /** Replaces the dataset's maintenance policy; unset fields take the defaults. */
    public Dataset updatePolicy(String name, MaintenancePolicy policy) {
        return retrying(endpoint -> endpoint.datasets().updatePolicy().addHeader("authorization", authorization)
                .invoke(UpdatePolicyRequest.newBuilder().setName(name).setPolicy(policy).build()));
    }

    public void drop(String name) {
        call(endpoint -> endpoint.datasets().dropDataset().addHeader("authorization", authorization)
                .invoke(DropDatasetRequest.newBuilder().setName(name).build()));
    }

    // Writes

    /**
     * Writes a batch under {@code appId}/{@code sequence}, retrying with the same key, on the next endpoint when one
     * is unavailable, while the server says to retry. {@code replay} in the response is true when an earlier attempt
     * had already committed it. Throws {@link UnacknowledgedWriteException} when it gives up.
     */
    public WriteResponse write(String dataset, VectorSchemaRoot batch, String appId, long sequence) {
        return write(WriteRequest.newBuilder().setDataset(dataset).setArrowIpc(ArrowBytes.batch(batch))
                .setKey(IdempotencyKey.newBuilder().setAppId(appId).setSequence(sequence)).build(), batch.getRowCount(), WRITE_RETRY);
    }

    /** Sends {@code request}, of {@code rows} rows, retrying it under its key for up to {@code retryFor}. */
    WriteResponse write(WriteRequest request, int rows, Duration retryFor) {
        String appId = request.getKey().getAppId();
        long sequence = request.getKey().getSequence();
        long deadline = System.nanoTime() + retryFor.toNanos();
        boolean inDoubt = false;
        for (int attempt = 1; ; attempt++) {
            Endpoint endpoint = endpoints.current();
            try {
                return await(endpoint.ingest().write().addHeader("authorization", authorization).invoke(request), WRITE_ATTEMPT_TIMEOUT);
            } catch (LakeshardException e) {
                inDoubt |= e.retryable() && !neverSent(e);
                long left = deadline - System.nanoTime();
                if (!e.retryable() || left <= 0) {
                    throw new UnacknowledgedWriteException(e, appId, sequence, rows, inDoubt);
                }
                endpoints.failed(endpoint);
                if (attempt % endpoints.size() == 0) {
                    // Every endpoint failed once more: give them time to come back.
                    int round = attempt / endpoints.size();
                    sleep(Math.min(Math.min(100L << Math.min(round, 5), MAX_BACKOFF.toMillis()), TimeUnit.NANOSECONDS.toMillis(left) + 1));
                }
            }
        }
    }

    /** A writer that batches rows by count, bytes and time, under its own app id, one batch in flight. */
    public BatchingWriter writer(String dataset, Schema schema, BatchingWriter.Settings settings) {
        return new BatchingWriter(this, dataset, schema, settings);
    }

    // Queries

    public QueryResults query(QueryRequest request) {
        CompletableFuture<QueryStarted> started = new CompletableFuture<>();
        CompletableFuture<QuerySummary> summary = new CompletableFuture<>();
        CompletableFuture<Void> ended = new CompletableFuture<>();
        Endpoint endpoint = endpoints.current();
        InputStream bytes = endpoint.queries().query().addHeader("authorization", authorization).invoke(request)
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
                            if (failure(error).code() == Status.Code.UNAVAILABLE) {
                                endpoints.failed(endpoint);
                            }
                            started.completeExceptionally(error);
                            summary.completeExceptionally(error);
                        }
                        ended.complete(null);
                    });
                    return mat;
                })
                .runWith(StreamConverters.asInputStream(CALL_TIMEOUT), system);
        return new QueryResults(bytes, started, summary, ended, allocator);
    }

    public QueryResults query(String sql) {
        return query(QueryRequest.newBuilder().setSql(sql)
                .setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES).build());
    }

    /** Cancels one of this tenant's queries, on whichever node it runs; false if none runs by that id. */
    public boolean cancel(String queryId) {
        return call(endpoint -> endpoint.queries().cancel().addHeader("authorization", authorization)
                .invoke(CancelRequest.newBuilder().setQueryId(queryId).build())).getCancelled();
    }

    /** This tenant's queries running anywhere in the cluster. */
    public List<RunningQuery> runningQueries() {
        return retrying(endpoint -> endpoint.queries().listQueries().addHeader("authorization", authorization)
                .invoke(ListQueriesRequest.getDefaultInstance())).getQueriesList();
    }

    public DescribeTableResponse describe(String table) {
        return retrying(endpoint -> endpoint.queries().describeTable().addHeader("authorization", authorization)
                .invoke(DescribeTableRequest.newBuilder().setTable(table).build()));
    }

    // Traces

    /** A trace of the default trace dataset by id (32 hex digits), with every write acknowledged before it. */
    public Trace getTrace(String traceId) {
        return getTrace(GetTraceRequest.newBuilder().setTraceId(traceId).setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES).build());
    }

    /** A trace, its spans in tree order; {@code NOT_FOUND} when no span of it is stored. */
    public Trace getTrace(GetTraceRequest request) {
        GetTraceResponse response = retrying(endpoint -> endpoint.traces().getTrace().addHeader("authorization", authorization)
                .invoke(request));
        return new Trace(response.getTraceId(), response.getSpansList().stream().map(span -> new Span(span.getSpanId(),
                span.getParentSpanId(), span.getDepth(), span.getOrder(), span.getRoot(), span.getOrphan(), span.getServiceName(),
                span.getName(), span.getStartTimeUnixNano(), span.getDurationNs(), span.getStatusCode())).toList(),
                response.getTruncated(), response.getArrowIpc(),
                response.hasOtlp() ? Optional.of(response.getOtlp()) : Optional.empty());
    }

    /** A page of traces, newest first; pass {@link TracePage#nextCursor()} as the next request's page_cursor. */
    public TracePage searchTraces(SearchTracesRequest request) {
        SearchTracesResponse response = retrying(endpoint -> endpoint.traces().searchTraces().addHeader("authorization", authorization)
                .invoke(request));
        return new TracePage(response.getTracesList().stream().map(trace -> new TraceSummary(trace.getTraceId(),
                trace.getRootServiceName(), trace.getRootSpanName(), trace.getRootMissing(), trace.getStartTimeUnixNano(),
                trace.getDurationNs(), trace.getSpanCount(), trace.getErrorCount(), trace.getServiceNamesList())).toList(),
                response.getNextCursor().isEmpty() ? Optional.empty() : Optional.of(response.getNextCursor()));
    }

    /** The services that recorded spans in the request's time range, with their operations. */
    public List<ServiceOperations> services(ListServicesRequest request) {
        return retrying(endpoint -> endpoint.traces().listServices().addHeader("authorization", authorization).invoke(request))
                .getServicesList().stream().map(service -> new ServiceOperations(service.getServiceName(), service.getSpanCount(),
                        service.getOperationsList().stream().map(operation -> new ServiceOperations.Operation(operation.getSpanName(),
                                operation.getSpanCount())).toList())).toList();
    }

    /** Requests, errors and duration percentiles by service (and span name) and bucket. */
    public List<RedPoint> redMetrics(GetRedMetricsRequest request) {
        return retrying(endpoint -> endpoint.traces().getRedMetrics().addHeader("authorization", authorization).invoke(request))
                .getPointsList().stream().map(point -> new RedPoint(point.getServiceName(), point.getSpanName(),
                        point.getBucketStartUnixNano(), point.getRequests(), point.getRatePerSecond(), point.getErrors(),
                        point.getErrorRate(), point.getP50Ns(), point.getP95Ns(), point.getP99Ns())).toList();
    }

    /**
     * The spans of the request's time range as OTLP, page by page as the reader takes them: the server reads a page
     * when the one before is taken (a page ahead at most), so a slow reader slows the reading and holds no query open.
     */
    public SpanReader readSpans(ReadSpansRequest request) {
        Endpoint endpoint = endpoints.current();
        SinkQueueWithCancel<ReadSpansResponse> pages = watched(endpoint, endpoint.traces().readSpans()
                .addHeader("authorization", authorization).invoke(request))
                .runWith(Sink.<ReadSpansResponse>queue().withAttributes(Attributes.inputBuffer(1, 1)), system);
        return new SpanReader(pages, CALL_TIMEOUT);
    }

    /** A server stream of {@code endpoint}'s that moves the client on to the next endpoint if it finds its node unavailable. */
    private <T> Source<T, NotUsed> watched(Endpoint endpoint, Source<T, NotUsed> stream) {
        return stream.watchTermination((mat, done) -> {
            done.whenComplete((ok, error) -> {
                if (error != null && failure(error).code() == Status.Code.UNAVAILABLE) {
                    endpoints.failed(endpoint);
                }
            });
            return mat;
        });
    }

    /**
     * A client of an OTLP/gRPC trace endpoint — OpenTelemetry's {@code TraceService}, which a Collector, another
     * Lakeshard or any OTLP backend serves — at {@code host:port}, on this client's actor system and event loop;
     * with {@code tls}, under the JVM's default trust. Close it before this client.
     *
     * @param deadline how long each call may take, as the server is told
     */
    public TraceServiceClient otlpTraceService(String host, int port, boolean tls, Duration deadline) {
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("cannot resolve " + host, e);
        }
        return TraceServiceClient.create(channel(system, eventLoop, host, address, port, tls, null).withDeadline(deadline), system);
    }

    // Admin

    public String optimize(String dataset) {
        return call(endpoint -> endpoint.admin().optimize().addHeader("authorization", authorization)
                .invoke(MaintenanceRequest.newBuilder().setDataset(dataset).build())).getOutcome();
    }

    public String vacuum(String dataset) {
        return call(endpoint -> endpoint.admin().vacuum().addHeader("authorization", authorization)
                .invoke(MaintenanceRequest.newBuilder().setDataset(dataset).build())).getOutcome();
    }

    /** Drops the days older than the dataset's retention, now. */
    public String expire(String dataset) {
        return call(endpoint -> endpoint.admin().expire().addHeader("authorization", authorization)
                .invoke(MaintenanceRequest.newBuilder().setDataset(dataset).build())).getOutcome();
    }

    public DeleteRowsResponse deleteRows(String dataset, String where) {
        return call(endpoint -> endpoint.admin().deleteRows().addHeader("authorization", authorization)
                .invoke(DeleteRowsRequest.newBuilder().setDataset(dataset).setWhere(where).build()));
    }

    public List<Task> tasks() {
        return retrying(endpoint -> endpoint.admin().listTasks().addHeader("authorization", authorization)
                .invoke(ListTasksRequest.getDefaultInstance())).getTasksList();
    }

    public ClusterStatusResponse clusterStatus() {
        return retrying(endpoint -> endpoint.admin().clusterStatus().addHeader("authorization", authorization)
                .invoke(ClusterStatusRequest.getDefaultInstance()));
    }

    // Server-side exports

    /**
     * Writes a query's result as Parquet files on the servers' side; answers once every file is in place. Not retried:
     * the query may have run, so the caller decides (with {@code overwrite}) whether to run it again.
     */
    public ExportQueryResponse exportQuery(ExportQueryRequest request, Duration timeout) {
        return call(endpoint -> endpoint.exports().exportQuery().addHeader("authorization", authorization)
                .invoke(request), false, timeout);
    }

    // Imports

    /** Starts an import job; a retry with the same job id and request answers the job. */
    public ImportJob startImport(StartImportRequest request) {
        return retrying(endpoint -> endpoint.imports().startImport().addHeader("authorization", authorization).invoke(request));
    }

    public ImportJob importJob(String jobId) {
        return retrying(endpoint -> endpoint.imports().getImport().addHeader("authorization", authorization)
                .invoke(GetImportRequest.newBuilder().setJobId(jobId).build()));
    }

    public List<ImportJob> importJobs() {
        return retrying(endpoint -> endpoint.imports().listImports().addHeader("authorization", authorization)
                .invoke(ListImportsRequest.getDefaultInstance())).getJobsList();
    }

    public ImportJob stopImport(String jobId) {
        return retrying(endpoint -> endpoint.imports().stopImport().addHeader("authorization", authorization)
                .invoke(StopImportRequest.newBuilder().setJobId(jobId).build()));
    }

    // Tail sampling

    /**
     * Creates a sampler; creating it again with the same options answers it as it is, with others is
     * {@code ALREADY_EXISTS}.
     */
    public Sampler createSampler(SamplerOptions options) {
        CreateSamplerRequest request = SamplingMessages.request(options);
        return SamplingMessages.sampler(retrying(endpoint -> endpoint.samplers().createSampler().addHeader("authorization", authorization)
                .invoke(request)));
    }

    /**
     * A sampler and how far it got; {@code NOT_FOUND} when the tenant has none of that name on that dataset.
     *
     * @param dataset catalog.schema.table; empty for {@code otel.traces.spans}
     */
    public Sampler sampler(String dataset, String name) {
        return SamplingMessages.sampler(retrying(endpoint -> endpoint.samplers().getSampler().addHeader("authorization", authorization)
                .invoke(GetSamplerRequest.newBuilder().setDataset(dataset).setName(name).build())));
    }

    /** The tenant's samplers, by dataset and name. */
    public List<Sampler> samplers() {
        return retrying(endpoint -> endpoint.samplers().listSamplers().addHeader("authorization", authorization)
                .invoke(ListSamplersRequest.getDefaultInstance())).getSamplersList().stream().map(SamplingMessages::sampler).toList();
    }

    /** Stops a sampler and answers it as it was last; its decisions dataset stays, to query or drop. */
    public Sampler deleteSampler(String dataset, String name) {
        return SamplingMessages.sampler(call(endpoint -> endpoint.samplers().deleteSampler().addHeader("authorization", authorization)
                .invoke(DeleteSamplerRequest.newBuilder().setDataset(dataset).setName(name).build())));
    }

    /**
     * A sampler's decisions after {@code after} (0 for all, else the last sequence seen), in order, waiting for new
     * ones until closed; it ends with {@code NOT_FOUND} once the sampler is deleted.
     */
    public DecisionStream decisions(String dataset, String name, long after) {
        return decisions(dataset, name, after, true);
    }

    /**
     * As {@link #decisions(String, String, long)}; without {@code follow} the stream ends once it has every decision
     * made so far.
     */
    public DecisionStream decisions(String dataset, String name, long after, boolean follow) {
        Endpoint endpoint = endpoints.current();
        StreamDecisionsRequest request = StreamDecisionsRequest.newBuilder().setDataset(dataset).setName(name).setAfter(after)
                .setFollow(follow).build();
        SinkQueueWithCancel<Decision> decisions = watched(endpoint, endpoint.samplers().streamDecisions()
                .addHeader("authorization", authorization).invoke(request))
                .runWith(Sink.queue(), system);
        return new DecisionStream(decisions, after);
    }

    @Override
    public void close() {
        endpoints.close();
        // No quiet period: the channels are closed, nothing more will be scheduled on the loop.
        eventLoop.shutdownGracefully(0, CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .awaitUninterruptibly(CLOSE_TIMEOUT.toMillis());
        system.terminate();
        allocator.close();
    }

    /**
     * A call that may change something: made once. If its node is unavailable the next call goes to the next
     * endpoint; only a call that never reached a node is made again, there.
     */
    private <T> T call(Function<Endpoint, CompletionStage<T>> call) {
        return call(call, false);
    }

    /** A call that reads, or changes things the same way however often it is made: tried at each endpoint in turn. */
    private <T> T retrying(Function<Endpoint, CompletionStage<T>> call) {
        return call(call, true);
    }

    private <T> T call(Function<Endpoint, CompletionStage<T>> call, boolean idempotent) {
        return call(call, idempotent, CALL_TIMEOUT);
    }

    private <T> T call(Function<Endpoint, CompletionStage<T>> call, boolean idempotent, Duration timeout) {
        LakeshardException last = null;
        for (int tried = 0; tried < endpoints.size(); tried++) {
            Endpoint endpoint = endpoints.current();
            try {
                return await(call.apply(endpoint), timeout);
            } catch (LakeshardException e) {
                if (e.code() != Status.Code.UNAVAILABLE) {
                    throw e;
                }
                endpoints.failed(endpoint);
                if (!idempotent && !neverSent(e)) {
                    throw e;
                }
                last = e;
            }
        }
        throw last;
    }

    static <T> T await(CompletionStage<T> call, Duration timeout) {
        try {
            return call.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw failure(e.getCause());
        } catch (TimeoutException e) {
            throw new LakeshardException(Status.Code.DEADLINE_EXCEEDED, "no answer within " + timeout, e);
        }
    }

    /** The call failed before it reached a node: no connection was made. */
    private static boolean neverSent(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException || cause instanceof NoRouteToHostException || cause instanceof UnknownHostException) {
                return true;
            }
        }
        return false;
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

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
