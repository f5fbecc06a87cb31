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
import io.lakeshard.api.v1.ListQueriesRequest;
import io.lakeshard.api.v1.ListQueriesResponse;
import io.lakeshard.api.v1.ListSchemasRequest;
import io.lakeshard.api.v1.ListSchemasResponse;
import io.lakeshard.api.v1.ListTablesRequest;
import io.lakeshard.api.v1.ListTablesResponse;
import io.lakeshard.api.v1.QueryRequest;
import io.lakeshard.api.v1.QueryResponse;
import io.lakeshard.api.v1.QueryServicePowerApi;
import io.lakeshard.api.v1.QueryStarted;
import io.lakeshard.api.v1.QuerySummary;
import io.lakeshard.api.v1.RunningQuery;
import io.lakeshard.query.Consistency;
import io.lakeshard.query.TimeTravel;
import io.lakeshard.service.Principal;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.service.query.Queries;
import io.lakeshard.service.query.QuerySpec;
import io.lakeshard.service.query.QueryStream;
import io.lakeshard.storage.dataset.DatasetName;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.concurrent.CompletionStage;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;

/** QueryService over gRPC: SQL in, the query's id first, then Arrow IPC in chunks, then a summary. */
public final class QueryGrpc implements QueryServicePowerApi {
    private final Queries queries;
    private final ApiKeys keys;
    private final BufferAllocator allocator;
    private final String blockingDispatcher;

    /** @param blockingDispatcher the dispatcher a result is streamed on: planning and reading block */
    public QueryGrpc(Queries queries, ApiKeys keys, BufferAllocator allocator, String blockingDispatcher) {
        this.queries = requireNonNull(queries, "queries is null");
        this.keys = requireNonNull(keys, "keys is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.blockingDispatcher = requireNonNull(blockingDispatcher, "blockingDispatcher is null");
    }

    @Override
    public Source<QueryResponse, NotUsed> query(QueryRequest in, Metadata metadata) {
        QueryStream query;
        try {
            query = queries.start(Callers.principal(keys, metadata), spec(in, Callers.deadline(metadata)));
        } catch (RuntimeException e) {
            return Source.failed(Errors.status(e));
        }
        QueryResponse started = QueryResponse.newBuilder()
                .setStarted(QueryStarted.newBuilder().setQueryId(query.id()).setLabel(query.label()).setRowLimit(query.rowLimit())).build();
        return Source.single(started)
                .concat(Source.<QueryResponse, Chunks>unfoldResource(() -> new Chunks(query), Chunks::next, Chunks::close)
                        .withAttributes(ActorAttributes.dispatcher(blockingDispatcher)))
                .mapError(Throwable.class, Errors::status)
                // Stopped however the call ends, even before the result was opened: the tenant's slot comes back.
                // Only stopped: this runs beside the stage that reads the result, which closes it (Chunks::close).
                .watchTermination((notUsed, done) -> {
                    done.whenComplete((ok, error) -> query.stop());
                    return notUsed;
                });
    }

    @Override
    public CompletionStage<ExplainResponse> explain(ExplainRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            Principal principal = Callers.principal(keys, metadata);
            QuerySpec spec = new QuerySpec("", in.getSql(), optional(in.getDefaultCatalog()), optional(in.getDefaultSchema()),
                    OptionalLong.empty(), Optional.empty(), Callers.deadline(metadata), Consistency.LATEST_COMMITTED, Map.of());
            return queries.explain(principal, spec, in.getAnalyze())
                    .thenApply(plan -> ExplainResponse.newBuilder().setPlan(plan).build());
        });
    }

    @Override
    public CompletionStage<CancelResponse> cancel(CancelRequest in, Metadata metadata) {
        return Errors.guarded(() -> queries.cancel(Callers.principal(keys, metadata), in.getQueryId())
                .thenApply(cancelled -> CancelResponse.newBuilder().setCancelled(cancelled).build()));
    }

    @Override
    public CompletionStage<ListQueriesResponse> listQueries(ListQueriesRequest in, Metadata metadata) {
        return Errors.guarded(() -> queries.running(Callers.principal(keys, metadata))
                .thenApply(running -> ListQueriesResponse.newBuilder().addAllQueries(running.stream()
                        .map(query -> RunningQuery.newBuilder().setQueryId(query.queryId()).setLabel(query.label())
                                .setSql(query.sql()).setStartedAtMillis(query.startedAt().toEpochMilli()).setNode(query.node()).build())
                        .toList()).build()));
    }

    @Override
    public CompletionStage<ListCatalogsResponse> listCatalogs(ListCatalogsRequest in, Metadata metadata) {
        return Errors.guarded(() -> queries.catalogs(Callers.principal(keys, metadata))
                .thenApply(catalogs -> ListCatalogsResponse.newBuilder().addAllCatalogs(catalogs).build()));
    }

    @Override
    public CompletionStage<ListSchemasResponse> listSchemas(ListSchemasRequest in, Metadata metadata) {
        return Errors.guarded(() -> queries.schemas(Callers.principal(keys, metadata), in.getCatalog())
                .thenApply(schemas -> ListSchemasResponse.newBuilder().addAllSchemas(schemas).build()));
    }

    @Override
    public CompletionStage<ListTablesResponse> listTables(ListTablesRequest in, Metadata metadata) {
        return Errors.guarded(() -> queries.tables(Callers.principal(keys, metadata), in.getCatalog(), optional(in.getSchema()).orElse(null))
                .thenApply(tables -> ListTablesResponse.newBuilder()
                        .addAllTables(tables.stream().map(DatasetName::toString).toList()).build()));
    }

    @Override
    public CompletionStage<DescribeTableResponse> describeTable(DescribeTableRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            Principal principal = Callers.principal(keys, metadata);
            DatasetName name = DatasetName.parse(in.getTable());
            return queries.describe(principal, name).thenApply(table -> DescribeTableResponse.newBuilder().setTable(name.toString())
                    .setArrowSchema(ArrowIpc.schema(table.schema(), allocator))
                    .addAllPartitionColumns(table.partitionColumns()).setVersion(table.version())
                    .setFiles(table.files()).setRows(table.rows()).setBytes(table.bytes()).build());
        });
    }

    private static QuerySpec spec(QueryRequest in, Optional<Duration> deadline) {
        Map<DatasetName, TimeTravel> travel = new HashMap<>();
        for (io.lakeshard.api.v1.TimeTravel target : in.getTimeTravelList()) {
            travel.put(DatasetName.parse(target.getTable()), target.hasVersion()
                    ? TimeTravel.atVersion(target.getVersion()) : TimeTravel.asOf(Instant.ofEpochMilli(target.getTimestampMillis())));
        }
        return new QuerySpec(in.getLabel(), in.getSql(), optional(in.getDefaultCatalog()), optional(in.getDefaultSchema()),
                in.getRowLimit() > 0 ? OptionalLong.of(in.getRowLimit()) : OptionalLong.empty(),
                in.getTimeoutMillis() > 0 ? Optional.of(Duration.ofMillis(in.getTimeoutMillis())) : Optional.empty(),
                deadline,
                in.getConsistency() == io.lakeshard.api.v1.Consistency.CONSISTENCY_READ_YOUR_WRITES
                        ? Consistency.READ_YOUR_WRITES : Consistency.LATEST_LOCAL,
                travel);
    }

    private static Optional<String> optional(String value) {
        return value.isEmpty() ? Optional.empty() : Optional.of(value);
    }

    /**
     * An opened query as response messages: the IPC stream's schema, each batch, its end, then the summary. A batch
     * is as many rows as the engine's batch size, whatever their width, so its bytes are cut into messages of at most
     * {@link #MAX_CHUNK_BYTES}: common clients refuse messages over 4 MiB.
     */
    private static final class Chunks {
        private static final int MAX_CHUNK_BYTES = 1 << 20;

        private final QueryStream query;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        private final Queue<QueryResponse> pending = new ArrayDeque<>();
        private ArrowStreamWriter writer;
        private boolean finished;

        Chunks(QueryStream query) {
            this.query = query;
        }

        /**
         * The next message. The query is opened by the first call, not when the stream starts: a failure here ends
         * the stream with the query's status, where a failure while the stream starts is also logged by Akka as an
         * error — and a user's SQL mistake is not the server's error.
         */
        Optional<QueryResponse> next() throws IOException {
            if (writer == null) {
                writer = new ArrowStreamWriter(query.open().batch(), null, Channels.newChannel(buffer));
                writer.start();
                drain();
            }
            if (pending.isEmpty() && !finished) {
                if (query.next()) {
                    writer.writeBatch();
                } else {
                    writer.end();
                    finished = true;
                }
                drain();
                if (finished) {
                    pending.add(QueryResponse.newBuilder().setSummary(QuerySummary.newBuilder().setQueryId(query.id())
                            .setLabel(query.label()).setRows(query.rows()).setTruncated(query.truncated())
                            .putAllTableVersions(query.tableVersions())).build());
                }
            }
            return Optional.ofNullable(pending.poll());
        }

        /** Queues what was written since the last drain, as messages of at most {@link #MAX_CHUNK_BYTES}. */
        private void drain() {
            byte[] bytes = buffer.toByteArray();
            buffer.reset();
            for (int offset = 0; offset < bytes.length; offset += MAX_CHUNK_BYTES) {
                pending.add(QueryResponse.newBuilder()
                        .setArrowIpc(ByteString.copyFrom(bytes, offset, Math.min(MAX_CHUNK_BYTES, bytes.length - offset))).build());
            }
        }

        void close() {
            query.close();
        }
    }
}
