package io.lakeshard.flight;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.lakeshard.flight.FlightHandle.Kind;
import io.lakeshard.query.engine.StatementShape;
import io.lakeshard.service.Principal;
import io.lakeshard.service.ServiceException;
import io.lakeshard.service.ServiceException.Code;
import io.lakeshard.service.ServiceSettings;
import io.lakeshard.service.ingest.Ingest;
import io.lakeshard.service.ingest.WriteRequest;
import io.lakeshard.service.query.Queries;
import io.lakeshard.service.query.QuerySpec;
import io.lakeshard.service.query.QueryStream;
import io.lakeshard.storage.dataset.DatasetName;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.arrow.flight.BackpressureStrategy;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.CancelFlightInfoRequest;
import org.apache.arrow.flight.CancelStatus;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightEndpoint;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.SchemaResult;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.flight.sql.BasicFlightSqlProducer;
import org.apache.arrow.flight.sql.SqlInfoBuilder;
import org.apache.arrow.flight.sql.impl.FlightSql.ActionClosePreparedStatementRequest;
import org.apache.arrow.flight.sql.impl.FlightSql.ActionCreatePreparedStatementRequest;
import org.apache.arrow.flight.sql.impl.FlightSql.ActionCreatePreparedStatementResult;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandGetCatalogs;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandGetCrossReference;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandGetDbSchemas;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandGetExportedKeys;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandGetImportedKeys;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandGetPrimaryKeys;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandGetSqlInfo;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandGetTables;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandPreparedStatementQuery;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandPreparedStatementUpdate;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementIngest;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementIngest.TableDefinitionOptions.TableExistsOption;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementIngest.TableDefinitionOptions.TableNotExistOption;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementQuery;
import org.apache.arrow.flight.sql.impl.FlightSql.DoPutPreparedStatementResult;
import org.apache.arrow.flight.sql.impl.FlightSql.DoPutUpdateResult;
import org.apache.arrow.flight.sql.impl.FlightSql.TicketStatementQuery;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.VectorSchemaRootAppender;

/**
 * Flight SQL onto the service layer: statements and prepared statements through {@link Queries} (the same sandbox,
 * admission and timeouts as the gRPC API), bulk ingest through {@link Ingest}, metadata from the tenant's catalog.
 * Nothing is kept between calls: tickets and prepared-statement handles carry the statement, signed, so every node
 * redeems what any node issued.
 */
final class LakeshardFlightSqlProducer extends BasicFlightSqlProducer {
    /** How long DoGet waits for a client that stopped reading before it gives up the query. */
    private static final long CLIENT_WAIT_MILLIS = 5 * 60_000L;
    private static final long READY_POLL_MILLIS = 50;
    private static final String TABLE_TYPE = "TABLE";
    /** Names an ingest for retries: the same value is applied once (with the transaction id, if any, first). */
    static final String REQUEST_ID_OPTION = "request_id";

    private final Queries queries;
    private final Ingest ingest;
    private final ServiceSettings limits;
    private final FlightTickets tickets;
    private final BufferAllocator allocator;
    private final SqlInfoBuilder sqlInfo;

    LakeshardFlightSqlProducer(Queries queries, Ingest ingest, ServiceSettings limits, FlightTickets tickets,
            BufferAllocator allocator, SqlInfoBuilder sqlInfo) {
        this.queries = requireNonNull(queries, "queries is null");
        this.ingest = requireNonNull(ingest, "ingest is null");
        this.limits = requireNonNull(limits, "limits is null");
        this.tickets = requireNonNull(tickets, "tickets is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.sqlInfo = requireNonNull(sqlInfo, "sqlInfo is null");
    }

    // Statements

    @Override
    public FlightInfo getFlightInfoStatement(CommandStatementQuery command, CallContext context, FlightDescriptor descriptor) {
        return guarded(() -> {
            Principal principal = principal(context);
            StatementShape shape = shape(principal, command.getQuery());
            if (!shape.parameters().isEmpty()) {
                throw new ServiceException(Code.INVALID_ARGUMENT, "the statement has " + shape.parameters().size()
                        + " parameters: prepare it and bind them");
            }
            return flightInfo(principal, command.getQuery(), shape, descriptor);
        });
    }

    @Override
    public SchemaResult getSchemaStatement(CommandStatementQuery command, CallContext context, FlightDescriptor descriptor) {
        return guarded(() -> new SchemaResult(shape(principal(context), command.getQuery()).schema()));
    }

    @Override
    public void createPreparedStatement(ActionCreatePreparedStatementRequest request, CallContext context,
            StreamListener<Result> listener) {
        try {
            Principal principal = principal(context);
            Optional<DatasetName> insertInto = BulkInsert.target(request.getQuery());
            if (insertInto.isPresent()) {
                // ADBC's bulk ingest: its rows come as parameter batches (acceptPutPreparedStatementUpdate), no result.
                join(queries.describe(principal, insertInto.get()));
                FlightHandle handle = tickets.issue(Kind.PREPARED, principal.tenant(), request.getQuery(), Optional.empty(), newId());
                listener.onNext(new Result(Any.pack(ActionCreatePreparedStatementResult.newBuilder()
                        .setPreparedStatementHandle(ByteString.copyFrom(tickets.sign(handle))).build()).toByteArray()));
                listener.onCompleted();
                return;
            }
            StatementShape shape = shape(principal, request.getQuery());
            List<Field> parameters = new ArrayList<>();
            for (int i = 0; i < shape.parameters().size(); i++) {
                parameters.add(Field.nullable("$" + (i + 1), shape.parameters().get(i)));
            }
            if (parameters.size() != SqlParameters.placeholders(request.getQuery()).size()) {
                throw new ServiceException(Code.INVALID_ARGUMENT, "parameters are bound to ? placeholders only; the "
                        + "statement has " + parameters.size() + " parameters, of which "
                        + SqlParameters.placeholders(request.getQuery()).size() + " are ?");
            }
            FlightHandle handle = tickets.issue(Kind.PREPARED, principal.tenant(), request.getQuery(), Optional.empty(), newId());
            ActionCreatePreparedStatementResult result = ActionCreatePreparedStatementResult.newBuilder()
                    .setPreparedStatementHandle(ByteString.copyFrom(tickets.sign(handle)))
                    .setDatasetSchema(ByteString.copyFrom(serialize(shape.schema())))
                    .setParameterSchema(ByteString.copyFrom(serialize(new Schema(parameters))))
                    .build();
            listener.onNext(new Result(Any.pack(result).toByteArray()));
            listener.onCompleted();
        } catch (RuntimeException e) {
            listener.onError(FlightErrors.status(e));
        }
    }

    @Override
    public Runnable acceptPutPreparedStatementQuery(CommandPreparedStatementQuery command, CallContext context,
            FlightStream parameters, StreamListener<PutResult> ackStream) {
        return () -> {
            try {
                Principal principal = principal(context);
                FlightHandle handle = prepared(principal, command.getPreparedStatementHandle());
                String bound = null;
                while (parameters.next()) {
                    if (bound != null) {
                        throw new ServiceException(Code.INVALID_ARGUMENT, "bind one row of parameters to a query, got more");
                    }
                    bound = SqlParameters.bind(handle.sql(), parameters.getRoot());
                }
                if (bound == null) {
                    throw new ServiceException(Code.INVALID_ARGUMENT, "no parameters were sent");
                }
                FlightHandle rebound = tickets.issue(Kind.PREPARED, handle.tenant(), handle.sql(), Optional.of(bound), handle.id());
                byte[] result = DoPutPreparedStatementResult.newBuilder()
                        .setPreparedStatementHandle(ByteString.copyFrom(tickets.sign(rebound))).build().toByteArray();
                try (ArrowBuf metadata = allocator.buffer(result.length)) {
                    metadata.writeBytes(result);
                    ackStream.onNext(PutResult.metadata(metadata));
                }
                ackStream.onCompleted();
            } catch (RuntimeException e) {
                ackStream.onError(FlightErrors.status(e));
            }
        };
    }

    @Override
    public FlightInfo getFlightInfoPreparedStatement(CommandPreparedStatementQuery command, CallContext context,
            FlightDescriptor descriptor) {
        return guarded(() -> {
            Principal principal = principal(context);
            FlightHandle handle = prepared(principal, command.getPreparedStatementHandle());
            if (handle.bound().isEmpty() && !SqlParameters.placeholders(handle.sql()).isEmpty()) {
                throw new ServiceException(Code.INVALID_ARGUMENT, "the prepared statement's parameters are not bound");
            }
            return flightInfo(principal, handle.statement(), shape(principal, handle.statement()), descriptor);
        });
    }

    @Override
    public SchemaResult getSchemaPreparedStatement(CommandPreparedStatementQuery command, CallContext context,
            FlightDescriptor descriptor) {
        return guarded(() -> {
            Principal principal = principal(context);
            return new SchemaResult(shape(principal, prepared(principal, command.getPreparedStatementHandle()).statement()).schema());
        });
    }

    @Override
    public void closePreparedStatement(ActionClosePreparedStatementRequest request, CallContext context,
            StreamListener<Result> listener) {
        // Nothing is held for a prepared statement: its handle carries it. Only the caller's own may be closed.
        try {
            prepared(principal(context), request.getPreparedStatementHandle());
            listener.onCompleted();
        } catch (RuntimeException e) {
            listener.onError(FlightErrors.status(e));
        }
    }

    @Override
    public void getStreamStatement(TicketStatementQuery ticket, CallContext context, ServerStreamListener listener) {
        QueryStream stream = null;
        try {
            Principal principal = principal(context);
            FlightHandle handle = tickets.verify(ticket.getStatementHandle().toByteArray(), Kind.TICKET);
            requireOwner(principal, handle);
            // Flight has no way to say a result was cut short: the statement's own LIMIT bounds it, not a default.
            QuerySpec spec = QuerySpec.of(handle.sql());
            stream = queries.start(principal, new QuerySpec(label(handle.id()), spec.sql(), spec.defaultCatalog(),
                    spec.defaultSchema(), OptionalLong.of(Long.MAX_VALUE), spec.timeout(), spec.deadline(), spec.consistency(),
                    spec.timeTravel()));
            QueryStream query = stream;
            // The handler runs on gRPC's thread while this one may be reading the result: it stops, this one closes.
            listener.setOnCancelHandler(query::stop);
            BackpressureStrategy backpressure = new BackpressureStrategy.CallbackBackpressureStrategy();
            backpressure.register(listener);
            query.open();
            listener.start(query.batch());
            while (query.next()) {
                if (!awaitReady(listener, backpressure)) {
                    return;
                }
                listener.putNext();
            }
            listener.completed();
        } catch (RuntimeException e) {
            listener.error(FlightErrors.status(e));
        } finally {
            if (stream != null) {
                stream.close();
            }
        }
    }

    /**
     * Waits until the client can take the next batch, so a slow reader holds one batch here, not the whole result.
     * Waits in short steps: a readiness signal that arrives between the check and the wait is not waited out.
     */
    private static boolean awaitReady(ServerStreamListener listener, BackpressureStrategy backpressure) {
        long deadline = System.nanoTime() + CLIENT_WAIT_MILLIS * 1_000_000L;
        while (!listener.isReady()) {
            if (listener.isCancelled()) {
                return false;
            }
            if (System.nanoTime() > deadline) {
                listener.error(CallStatus.TIMED_OUT.withDescription("the client stopped reading the result").toRuntimeException());
                return false;
            }
            backpressure.waitForListener(READY_POLL_MILLIS);
        }
        return !listener.isCancelled();
    }

    @Override
    public void cancelFlightInfo(CancelFlightInfoRequest request, CallContext context, StreamListener<CancelStatus> listener) {
        try {
            Principal principal = principal(context);
            List<String> labels = new ArrayList<>();
            for (FlightEndpoint endpoint : request.getInfo().getEndpoints()) {
                TicketStatementQuery ticket = Any.parseFrom(endpoint.getTicket().getBytes()).unpack(TicketStatementQuery.class);
                FlightHandle handle = tickets.verify(ticket.getStatementHandle().toByteArray(), Kind.TICKET);
                requireOwner(principal, handle);
                labels.add(label(handle.id()));
            }
            boolean cancelled = false;
            for (var query : join(queries.running(principal))) {
                if (labels.contains(query.label())) {
                    cancelled |= join(queries.cancel(principal, query.queryId()));
                }
            }
            listener.onNext(cancelled ? CancelStatus.CANCELLED : CancelStatus.NOT_CANCELLABLE);
            listener.onCompleted();
        } catch (InvalidProtocolBufferException e) {
            listener.onError(CallStatus.INVALID_ARGUMENT.withDescription("not a statement's ticket").toRuntimeException());
        } catch (RuntimeException e) {
            listener.onError(FlightErrors.status(e));
        }
    }

    // Bulk ingest

    @Override
    public Runnable acceptPutStatementBulkIngest(CommandStatementIngest command, CallContext context, FlightStream rows,
            StreamListener<PutResult> ackStream) {
        return () -> {
            try {
                Principal principal = principal(context);
                DatasetName name = ingestTarget(command);
                Optional<String> requestId = command.hasTransactionId()
                        ? Optional.of("tx-" + HexFormat.of().formatHex(command.getTransactionId().toByteArray()))
                        : Optional.ofNullable(command.getOptionsMap().get(REQUEST_ID_OPTION));
                acknowledge(ingestRows(principal, name, requestId, rows), ackStream);
            } catch (RuntimeException e) {
                ackStream.onError(FlightErrors.status(e));
            }
        };
    }

    /**
     * ADBC's bulk ingest (Java and others): a prepared {@code INSERT INTO <dataset> VALUES (?, ...)} whose parameter
     * batches are the rows. Appended as {@link #acceptPutStatementBulkIngest} appends, unkeyed: the protocol has no
     * request id here.
     */
    @Override
    public Runnable acceptPutPreparedStatementUpdate(CommandPreparedStatementUpdate command, CallContext context,
            FlightStream rows, StreamListener<PutResult> ackStream) {
        return () -> {
            try {
                Principal principal = principal(context);
                FlightHandle handle = prepared(principal, command.getPreparedStatementHandle());
                DatasetName name = BulkInsert.target(handle.sql()).orElseThrow(() -> new ServiceException(Code.INVALID_ARGUMENT,
                        "only INSERT INTO <dataset> VALUES (?, ...) with the rows as parameter batches is an update here"));
                acknowledge(ingestRows(principal, name, Optional.empty(), rows), ackStream);
            } catch (RuntimeException e) {
                ackStream.onError(FlightErrors.status(e));
            }
        };
    }

    /**
     * Appends the stream's rows to an existing dataset. Keyed (a request id), the ingest is one write (one commit),
     * so that a retry is answered as a replay; without a key nothing can tell a retry apart, so it is written
     * unkeyed, applied each time it arrives (and records no app id in the log), in writes within one write's limits.
     */
    private long ingestRows(Principal principal, DatasetName name, Optional<String> requestId, FlightStream rows) {
        join(queries.describe(principal, name));
        long[] committed = {0};
        Consumer<VectorSchemaRoot> write = batch -> {
            long bytes = bytes(batch);
            WriteRequest request = requestId.map(id -> WriteRequest.of(name.toString(), "flight:" + id, 0, bytes))
                    .orElseGet(() -> WriteRequest.unkeyed(name, bytes));
            committed[0] += join(ingest.write(principal, request, batch)).rows();
        };
        VectorSchemaRoot pending = null;
        try {
            while (rows.next()) {
                VectorSchemaRoot incoming = rows.getRoot();
                if (pending == null) {
                    pending = VectorSchemaRoot.create(incoming.getSchema(), allocator);
                    pending.allocateNew();
                } else if (pending.getRowCount() + incoming.getRowCount() > limits.maxRowsPerWrite()
                        || bytes(pending) + bytes(incoming) > limits.maxMessageBytes()) {
                    if (requestId.isPresent()) {
                        throw new ServiceException(Code.RESOURCE_EXHAUSTED, "an ingest with a request id is one "
                                + "write: at most " + limits.maxRowsPerWrite() + " rows and "
                                + limits.maxMessageBytes() + " bytes (lakeshard.server.max-rows-per-write, "
                                + "max-message-bytes); split the rows into several ingests, each with its own request id");
                    }
                    VectorSchemaRoot full = pending;
                    pending = null;
                    write.accept(full);
                    pending = VectorSchemaRoot.create(incoming.getSchema(), allocator);
                    pending.allocateNew();
                }
                VectorSchemaRootAppender.append(pending, incoming);
            }
            if (pending != null && pending.getRowCount() > 0) {
                VectorSchemaRoot last = pending;
                pending = null;
                write.accept(last);
            }
        } finally {
            if (pending != null) {
                pending.close();
            }
        }
        return committed[0];
    }

    private void acknowledge(long rows, StreamListener<PutResult> ackStream) {
        byte[] result = DoPutUpdateResult.newBuilder().setRecordCount(rows).build().toByteArray();
        try (ArrowBuf metadata = allocator.buffer(result.length)) {
            metadata.writeBytes(result);
            ackStream.onNext(PutResult.metadata(metadata));
        }
        ackStream.onCompleted();
    }

    private static DatasetName ingestTarget(CommandStatementIngest command) {
        CommandStatementIngest.TableDefinitionOptions options = command.getTableDefinitionOptions();
        if (options.getIfNotExist() == TableNotExistOption.TABLE_NOT_EXIST_OPTION_CREATE) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "Flight SQL ingest only appends to existing datasets; create "
                    + "the dataset through the dataset API (CreateDataset) first");
        }
        if (options.getIfExists() == TableExistsOption.TABLE_EXISTS_OPTION_REPLACE
                || options.getIfExists() == TableExistsOption.TABLE_EXISTS_OPTION_FAIL) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "Flight SQL ingest only appends: table_definition_options."
                    + "if_exists must be APPEND (or unspecified), got " + options.getIfExists());
        }
        if (command.getTemporary()) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "temporary tables are not supported");
        }
        String table = command.getTable().toLowerCase(Locale.ROOT);
        if (command.hasCatalog() && command.hasSchema()) {
            return DatasetName.parse(command.getCatalog().toLowerCase(Locale.ROOT) + "." + command.getSchema().toLowerCase(Locale.ROOT) + "." + table);
        }
        if (command.hasSchema()) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "name the catalog with the schema, or give the table as catalog.schema.table");
        }
        return DatasetName.parse(table);
    }

    private static long bytes(VectorSchemaRoot root) {
        long bytes = 0;
        for (FieldVector vector : root.getFieldVectors()) {
            bytes += vector.getBufferSize();
        }
        return bytes;
    }

    // Metadata

    @Override
    public void getStreamSqlInfo(CommandGetSqlInfo command, CallContext context, ServerStreamListener listener) {
        sqlInfo.send(command.getInfoList(), listener);
    }

    @Override
    public void getStreamCatalogs(CallContext context, ServerStreamListener listener) {
        stream(listener, Schemas.GET_CATALOGS_SCHEMA, root -> {
            List<String> catalogs = join(queries.catalogs(principal(context)));
            VarCharVector names = (VarCharVector) root.getVector("catalog_name");
            for (int i = 0; i < catalogs.size(); i++) {
                names.setSafe(i, text(catalogs.get(i)));
            }
            root.setRowCount(catalogs.size());
        });
    }

    @Override
    public void getStreamSchemas(CommandGetDbSchemas command, CallContext context, ServerStreamListener listener) {
        stream(listener, Schemas.GET_SCHEMAS_SCHEMA, root -> {
            Principal principal = principal(context);
            Pattern schemaPattern = like(command.hasDbSchemaFilterPattern() ? command.getDbSchemaFilterPattern() : null);
            int row = 0;
            for (String catalog : join(queries.catalogs(principal))) {
                if (command.hasCatalog() && !command.getCatalog().equals(catalog)) {
                    continue;
                }
                for (String schema : join(queries.schemas(principal, catalog))) {
                    if (schemaPattern.matcher(schema).matches()) {
                        ((VarCharVector) root.getVector("catalog_name")).setSafe(row, text(catalog));
                        ((VarCharVector) root.getVector("db_schema_name")).setSafe(row, text(schema));
                        row++;
                    }
                }
            }
            root.setRowCount(row);
        });
    }

    @Override
    public void getStreamTables(CommandGetTables command, CallContext context, ServerStreamListener listener) {
        Schema schema = command.getIncludeSchema() ? Schemas.GET_TABLES_SCHEMA : Schemas.GET_TABLES_SCHEMA_NO_SCHEMA;
        stream(listener, schema, root -> {
            Principal principal = principal(context);
            Pattern schemaPattern = like(command.hasDbSchemaFilterPattern() ? command.getDbSchemaFilterPattern() : null);
            Pattern tablePattern = like(command.hasTableNameFilterPattern() ? command.getTableNameFilterPattern() : null);
            boolean typeWanted = command.getTableTypesCount() == 0 || command.getTableTypesList().stream()
                    .anyMatch(TABLE_TYPE::equalsIgnoreCase);
            int row = 0;
            if (typeWanted) {
                for (String catalog : join(queries.catalogs(principal))) {
                    if (command.hasCatalog() && !command.getCatalog().equals(catalog)) {
                        continue;
                    }
                    for (DatasetName table : join(queries.tables(principal, catalog, null))) {
                        if (!schemaPattern.matcher(table.schema()).matches() || !tablePattern.matcher(table.table()).matches()) {
                            continue;
                        }
                        ((VarCharVector) root.getVector("catalog_name")).setSafe(row, text(table.catalog()));
                        ((VarCharVector) root.getVector("db_schema_name")).setSafe(row, text(table.schema()));
                        ((VarCharVector) root.getVector("table_name")).setSafe(row, text(table.table()));
                        ((VarCharVector) root.getVector("table_type")).setSafe(row, text(TABLE_TYPE));
                        if (command.getIncludeSchema()) {
                            Schema columns = join(queries.describe(principal, table)).schema();
                            ((VarBinaryVector) root.getVector("table_schema")).setSafe(row, serialize(columns));
                        }
                        row++;
                    }
                }
            }
            root.setRowCount(row);
        });
    }

    @Override
    public void getStreamTableTypes(CallContext context, ServerStreamListener listener) {
        stream(listener, Schemas.GET_TABLE_TYPES_SCHEMA, root -> {
            principal(context);
            ((VarCharVector) root.getVector("table_type")).setSafe(0, text(TABLE_TYPE));
            root.setRowCount(1);
        });
    }

    // Datasets have no keys: these answer with no rows, as JDBC tools expect of a database without constraints.

    @Override
    public void getStreamPrimaryKeys(CommandGetPrimaryKeys command, CallContext context, ServerStreamListener listener) {
        stream(listener, Schemas.GET_PRIMARY_KEYS_SCHEMA, root -> root.setRowCount(0));
    }

    @Override
    public void getStreamExportedKeys(CommandGetExportedKeys command, CallContext context, ServerStreamListener listener) {
        stream(listener, Schemas.GET_EXPORTED_KEYS_SCHEMA, root -> root.setRowCount(0));
    }

    @Override
    public void getStreamImportedKeys(CommandGetImportedKeys command, CallContext context, ServerStreamListener listener) {
        stream(listener, Schemas.GET_IMPORTED_KEYS_SCHEMA, root -> root.setRowCount(0));
    }

    @Override
    public void getStreamCrossReference(CommandGetCrossReference command, CallContext context, ServerStreamListener listener) {
        stream(listener, Schemas.GET_CROSS_REFERENCE_SCHEMA, root -> root.setRowCount(0));
    }

    /** Metadata commands are answered from the command itself, which the ticket carries: any node can answer it. */
    @Override
    protected <T extends Message> List<FlightEndpoint> determineEndpoints(T request, FlightDescriptor descriptor, Schema schema) {
        return List.of(new FlightEndpoint(new Ticket(Any.pack(request).toByteArray())));
    }

    // Helpers

    private StatementShape shape(Principal principal, String sql) {
        return join(queries.shape(principal, QuerySpec.of(sql)));
    }

    private FlightInfo flightInfo(Principal principal, String sql, StatementShape shape, FlightDescriptor descriptor) {
        FlightHandle handle = tickets.issue(Kind.TICKET, principal.tenant(), sql, Optional.empty(), newId());
        TicketStatementQuery ticket = TicketStatementQuery.newBuilder()
                .setStatementHandle(ByteString.copyFrom(tickets.sign(handle))).build();
        // No location: the client fetches from the node it asked, and that node can redeem the ticket like any other.
        return new FlightInfo(shape.schema(), descriptor, List.of(new FlightEndpoint(new Ticket(Any.pack(ticket).toByteArray()))), -1, -1);
    }

    private FlightHandle prepared(Principal principal, ByteString signed) {
        FlightHandle handle = tickets.verify(signed.toByteArray(), Kind.PREPARED);
        requireOwner(principal, handle);
        return handle;
    }

    private static void requireOwner(Principal principal, FlightHandle handle) {
        if (!handle.tenant().equals(principal.tenant())) {
            throw new ServiceException(Code.UNAUTHENTICATED, "this ticket was issued to another tenant's API key");
        }
    }

    private static Principal principal(CallContext context) {
        String tenant = context.peerIdentity();
        if (tenant == null || tenant.isEmpty()) {
            throw new ServiceException(Code.UNAUTHENTICATED, "missing API key: send it as a bearer token or as the basic-auth password");
        }
        return Principal.tenant(tenant);
    }

    private static String label(String id) {
        return "flight:" + id;
    }

    private static String newId() {
        return UUID.randomUUID().toString();
    }

    private void stream(ServerStreamListener listener, Schema schema, Consumer<VectorSchemaRoot> fill) {
        try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
            fill.accept(root);
            listener.start(root);
            listener.putNext();
            listener.completed();
        } catch (RuntimeException e) {
            listener.error(FlightErrors.status(e));
        }
    }

    private static <T> T guarded(Supplier<T> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            throw FlightErrors.status(e);
        }
    }

    private static <T> T join(CompletionStage<T> stage) {
        return stage.toCompletableFuture().join();
    }

    /** A Flight SQL filter pattern (SQL LIKE: {@code %}, {@code _}, {@code \} escapes) as a regex; null matches all. */
    static Pattern like(String pattern) {
        if (pattern == null) {
            return Pattern.compile(".*", Pattern.DOTALL);
        }
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\' && i + 1 < pattern.length()) {
                regex.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
            } else if (c == '%') {
                regex.append(".*");
            } else if (c == '_') {
                regex.append('.');
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }

    private static byte[] text(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] serialize(Schema schema) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            MessageSerializer.serialize(new WriteChannel(Channels.newChannel(out)), schema);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
