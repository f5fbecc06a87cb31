package io.lakeshard.server.grpc;

import static java.util.Objects.requireNonNull;

import akka.NotUsed;
import akka.grpc.javadsl.Metadata;
import akka.stream.ActorAttributes;
import akka.stream.javadsl.Source;
import com.google.protobuf.ByteString;
import io.lakeshard.api.v1.CancelRequest;
import io.lakeshard.api.v1.CancelResponse;
import io.lakeshard.api.v1.DescribeTableRequest;
import io.lakeshard.api.v1.DescribeTableResponse;
import io.lakeshard.api.v1.ExplainRequest;
import io.lakeshard.api.v1.ExplainResponse;
import io.lakeshard.api.v1.ListCatalogsRequest;
import io.lakeshard.api.v1.ListCatalogsResponse;
import io.lakeshard.api.v1.ListSchemasRequest;
import io.lakeshard.api.v1.ListSchemasResponse;
import io.lakeshard.api.v1.ListTablesRequest;
import io.lakeshard.api.v1.ListTablesResponse;
import io.lakeshard.api.v1.QueryResponse;
import io.lakeshard.api.v1.QueryServicePowerApi;
import io.lakeshard.api.v1.QuerySummary;
import io.lakeshard.cluster.node.LakeshardNode;
import io.lakeshard.query.Consistency;
import io.lakeshard.query.QueryRequest;
import io.lakeshard.query.TimeTravel;
import io.lakeshard.query.catalog.DatasetCatalog;
import io.lakeshard.query.engine.QueryResult;
import io.lakeshard.server.auth.ApiKeys;
import io.lakeshard.storage.dataset.DatasetName;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;

/** QueryService: SQL over the tenant's datasets, Arrow IPC back in chunks. */
public final class QueryGrpc implements QueryServicePowerApi {
    private final LakeshardNode node;
    private final ApiKeys keys;
    private final DatasetCatalog catalog;
    private final Executor blocking;
    private final long defaultRowLimit;
    private final Duration defaultTimeout;
    private final int maxConcurrentPerTenant;
    private final Map<String, java.util.concurrent.Semaphore> running = new java.util.concurrent.ConcurrentHashMap<>();

    public QueryGrpc(LakeshardNode node, ApiKeys keys, DatasetCatalog catalog, Executor blocking, long defaultRowLimit,
            Duration defaultTimeout, int maxConcurrentPerTenant) {
        this.maxConcurrentPerTenant = maxConcurrentPerTenant;
        this.node = requireNonNull(node, "node is null");
        this.keys = requireNonNull(keys, "keys is null");
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.blocking = requireNonNull(blocking, "blocking is null");
        this.defaultRowLimit = defaultRowLimit;
        this.defaultTimeout = defaultTimeout;
    }

    @Override
    public Source<QueryResponse, NotUsed> query(io.lakeshard.api.v1.QueryRequest in, Metadata metadata) {
        QueryRequest request;
        java.util.concurrent.Semaphore permits;
        try {
            String tenant = keys.authenticate(metadata).tenant();
            request = request(tenant, in);
            permits = running.computeIfAbsent(tenant, t -> new java.util.concurrent.Semaphore(maxConcurrentPerTenant));
        } catch (RuntimeException e) {
            return Source.failed(Errors.status(e));
        }
        if (!permits.tryAcquire()) {
            return Source.failed(new akka.grpc.GrpcServiceException(io.grpc.Status.RESOURCE_EXHAUSTED.withDescription(
                    "at most " + maxConcurrentPerTenant + " queries of a tenant run at once; retry when one ends")));
        }
        return Source.<QueryResponse, Chunks>unfoldResource(
                        () -> {
                            try {
                                return new Chunks(node.queries().execute(request), request.queryId(), permits, node.metrics());
                            } catch (RuntimeException e) {
                                permits.release();
                                throw e;
                            }
                        },
                        Chunks::next,
                        Chunks::close)
                .mapError(Throwable.class, Errors::status)
                .withAttributes(ActorAttributes.dispatcher("lakeshard.blocking-dispatcher"));
    }

    @Override
    public CompletionStage<ExplainResponse> explain(ExplainRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            String tenant = keys.authenticate(metadata).tenant();
            QueryRequest request = QueryRequest.of(UUID.randomUUID().toString(), tenant, in.getSql())
                    .withDefaults(emptyToNull(in.getDefaultCatalog()), emptyToNull(in.getDefaultSchema()));
            return CompletableFuture.supplyAsync(() -> ExplainResponse.newBuilder()
                    .setPlan(node.queries().explain(request, in.getAnalyze())).build(), blocking);
        });
    }

    @Override
    public CompletionStage<CancelResponse> cancel(CancelRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            keys.authenticate(metadata);
            return CompletableFuture.completedFuture(CancelResponse.newBuilder()
                    .setCancelled(node.queries().cancel(in.getQueryId())).build());
        });
    }

    @Override
    public CompletionStage<ListCatalogsResponse> listCatalogs(ListCatalogsRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            String tenant = keys.authenticate(metadata).tenant();
            return CompletableFuture.supplyAsync(() -> ListCatalogsResponse.newBuilder().addAllCatalogs(catalog.catalogs(tenant)).build(), blocking);
        });
    }

    @Override
    public CompletionStage<ListSchemasResponse> listSchemas(ListSchemasRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            String tenant = keys.authenticate(metadata).tenant();
            return CompletableFuture.supplyAsync(() -> ListSchemasResponse.newBuilder()
                    .addAllSchemas(catalog.schemas(tenant, in.getCatalog())).build(), blocking);
        });
    }

    @Override
    public CompletionStage<ListTablesResponse> listTables(ListTablesRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            String tenant = keys.authenticate(metadata).tenant();
            return CompletableFuture.supplyAsync(() -> ListTablesResponse.newBuilder().addAllTables(
                    catalog.tables(tenant, in.getCatalog(), emptyToNull(in.getSchema())).stream().map(DatasetName::toString).toList())
                    .build(), blocking);
        });
    }

    @Override
    public CompletionStage<DescribeTableResponse> describeTable(DescribeTableRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            String tenant = keys.authenticate(metadata).tenant();
            DatasetName name = DatasetName.parse(in.getTable());
            return CompletableFuture.supplyAsync(() -> {
                DatasetCatalog.TableDescription table = catalog.describe(tenant, name);
                return DescribeTableResponse.newBuilder().setTable(name.toString())
                        .setArrowSchema(ArrowIpc.schema(table.schema(), node.allocator()))
                        .addAllPartitionColumns(table.partitionColumns()).setVersion(table.version())
                        .setFiles(table.files()).setRows(table.rows()).setBytes(table.bytes()).build();
            }, blocking);
        });
    }

    private QueryRequest request(String tenant, io.lakeshard.api.v1.QueryRequest in) {
        Map<DatasetName, TimeTravel> travel = new HashMap<>();
        for (io.lakeshard.api.v1.TimeTravel target : in.getTimeTravelList()) {
            travel.put(DatasetName.parse(target.getTable()), target.hasVersion()
                    ? TimeTravel.atVersion(target.getVersion()) : TimeTravel.asOf(Instant.ofEpochMilli(target.getTimestampMillis())));
        }
        return new QueryRequest(in.getQueryId().isEmpty() ? UUID.randomUUID().toString() : in.getQueryId(), tenant, in.getSql(),
                emptyToNull(in.getDefaultCatalog()), emptyToNull(in.getDefaultSchema()),
                in.getRowLimit() > 0 ? in.getRowLimit() : defaultRowLimit,
                in.getTimeoutMillis() > 0 ? Duration.ofMillis(in.getTimeoutMillis()) : defaultTimeout,
                in.getConsistency() == io.lakeshard.api.v1.Consistency.CONSISTENCY_READ_YOUR_WRITES
                        ? Consistency.READ_YOUR_WRITES : Consistency.LATEST_LOCAL,
                travel);
    }

    private static String emptyToNull(String value) {
        return value.isEmpty() ? null : value;
    }

    /** A running query as response messages: the IPC stream's schema, each batch, its end, then the summary. */
    private static final class Chunks {
        private final QueryResult result;
        private final String queryId;
        private final java.util.concurrent.Semaphore permits;
        private boolean closed;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        private final ArrowStreamWriter writer;
        private final List<QueryResponse> pending = new ArrayList<>();
        private boolean finished;

        private final io.lakeshard.cluster.metrics.Metrics metrics;
        private final long started = System.nanoTime();

        Chunks(QueryResult result, String queryId, java.util.concurrent.Semaphore permits, io.lakeshard.cluster.metrics.Metrics metrics) {
            this.metrics = metrics;
            this.result = result;
            this.queryId = queryId;
            this.permits = permits;
            try {
                this.writer = new ArrowStreamWriter(result.batch(), null, Channels.newChannel(buffer));
                writer.start();
            } catch (IOException | RuntimeException e) {
                close();
                throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
            }
            pending.add(drain());
        }

        Optional<QueryResponse> next() throws IOException {
            if (!pending.isEmpty()) {
                return Optional.of(pending.remove(0));
            }
            if (finished) {
                return Optional.empty();
            }
            if (result.next()) {
                writer.writeBatch();
                return Optional.of(drain());
            }
            writer.end();
            finished = true;
            Map<String, Long> versions = new HashMap<>();
            result.versions().forEach((name, version) -> versions.put(name.toString(), version));
            pending.add(QueryResponse.newBuilder().setSummary(QuerySummary.newBuilder().setQueryId(queryId)
                    .setRows(result.rows()).setTruncated(result.truncated()).putAllTableVersions(versions)).build());
            return Optional.of(drain());
        }

        private QueryResponse drain() {
            QueryResponse chunk = QueryResponse.newBuilder().setArrowIpc(ByteString.copyFrom(buffer.toByteArray())).build();
            buffer.reset();
            return chunk;
        }

        void close() {
            if (!closed) {
                closed = true;
                metrics.time("lakeshard_query_seconds", "Queries: time from start to the last row sent", System.nanoTime() - started);
                metrics.count("lakeshard_queries_total", "Queries by outcome", finished ? "result=\"completed\"" : "result=\"stopped\"", 1);
                try {
                    result.close();
                } finally {
                    permits.release();
                }
            }
        }
    }
}
