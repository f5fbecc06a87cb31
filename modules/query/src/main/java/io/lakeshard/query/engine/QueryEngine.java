package io.lakeshard.query.engine;

import static java.util.Objects.requireNonNull;
import static org.apache.arrow.vector.types.TimeUnit.MICROSECOND;

import io.lakeshard.query.QueryRejectedException;
import io.lakeshard.query.QueryRequest;
import io.lakeshard.query.QueryTimeoutException;
import io.lakeshard.query.TimeTravel;
import io.lakeshard.query.UnknownTableException;
import io.lakeshard.query.VersionNotAvailableException;
import io.lakeshard.query.cache.RemoteFileCache;
import io.lakeshard.query.catalog.TableResolver;
import io.lakeshard.query.sql.AnalyzedStatement;
import io.lakeshard.query.sql.AnalyzedStatements;
import io.lakeshard.query.sql.PushedPredicate;
import io.lakeshard.query.sql.SqlAnalyzer;
import io.lakeshard.query.sql.SqlLiteral;
import io.lakeshard.query.sql.TableReference;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.dataset.TableSchema;
import io.lakeshard.storage.scan.ColumnPredicate;
import io.lakeshard.storage.scan.ScanPlanner;
import io.lakeshard.storage.snapshot.SnapshotCache;
import io.lakeshard.storage.table.DataFile;
import io.lakeshard.storage.table.TableSnapshot;
import io.lakeshard.storage.table.UnsupportedTableFeatureException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ParameterMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;
import org.duckdb.DuckDBResultSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tenants' SQL over their datasets on one DuckDB instance per process. Every query gets its own connection, a
 * pinned snapshot of each table it names, and a view per table reference over only the files that can match its
 * filters. DuckDB itself is locked down: no extensions, no files outside the storage and cache directories, no
 * configuration changes.
 */
public final class QueryEngine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(QueryEngine.class);
    private static final Pattern DECIMAL = Pattern.compile("DECIMAL\\((\\d+),\\s*(\\d+)\\)");
    private static final Pattern EXPLAIN = Pattern.compile("(?is)^\\s*EXPLAIN\\s+(ANALYZE\\s+)?(.*)$");

    private final EngineSettings settings;
    private final TableResolver resolver;
    private final BufferAllocator allocator;
    private final DuckDBConnection database;
    private final ScheduledExecutorService watchdog;
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final Optional<RemoteFileCache> remoteFiles;
    private final AnalyzedStatements analyzed = new AnalyzedStatements();
    private final StatsAnswers.Shapes statsShapes = new StatsAnswers.Shapes();

    public QueryEngine(EngineSettings settings, TableResolver resolver, BufferAllocator allocator) throws SQLException {
        this(settings, resolver, allocator, Optional.empty());
    }

    /**
     * @param remoteFiles where data files of tables that are not on a local filesystem are copied to be read
     */
    public QueryEngine(EngineSettings settings, TableResolver resolver, BufferAllocator allocator,
            Optional<RemoteFileCache> remoteFiles) throws SQLException {
        this.remoteFiles = requireNonNull(remoteFiles, "remoteFiles is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.resolver = requireNonNull(resolver, "resolver is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
        Properties properties = new Properties();
        properties.setProperty("jdbc_stream_results", "true");
        properties.setProperty("threads", String.valueOf(settings.threads()));
        properties.setProperty("memory_limit", settings.memoryLimit());
        properties.setProperty("max_temp_directory_size", settings.maxTempDirectorySize());
        List<Path> directories = new ArrayList<>(settings.readableDirectories());
        remoteFiles.ifPresent(cache -> directories.add(cache.directory()));
        this.database = SandboxedDuckDb.open(properties, settings.tempDirectory(), directories);
        this.watchdog = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "query-watchdog");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Starts a query and returns its result stream. EXPLAIN [ANALYZE] returns the plan as one row of text.
     *
     * @throws QueryRejectedException if the sandbox refuses the statement
     * @throws UnknownTableException if it names a table the tenant does not have
     */
    public QueryResult execute(QueryRequest request) {
        return execute(request, () -> false);
    }

    /**
     * Runs a query that its caller may cancel before this engine knows it: {@link #cancel} finds a query only once it
     * is planned, so a caller that lists queries before then keeps its own mark, and the query starts cancelled.
     *
     * @param cancelledEarly true once the caller cancelled the query; read after the query is registered
     */
    public QueryResult execute(QueryRequest request, BooleanSupplier cancelledEarly) {
        Matcher explain = EXPLAIN.matcher(request.sql());
        if (explain.matches()) {
            String plan = explain(request, explain.group(1) != null);
            try {
                return start(database.duplicate(), request, "SELECT " + DuckTypes.string(plan) + " AS plan", Map.of(), Map.of(), null,
                        cancelledEarly);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }
        try {
            DuckDBConnection connection = database.duplicate();
            Planned planned = null;
            try {
                planned = plan(connection, request, request.sql(), settings.statsAnswers());
                return start(connection, request, planned.sql(), planned.versions(), planned.filesScanned(), planned.lease(),
                        cancelledEarly);
            } catch (RuntimeException | SQLException e) {
                connection.close();
                if (planned != null && planned.lease() != null) {
                    planned.lease().close();
                }
                throw e;
            }
        } catch (SQLException e) {
            throw failed("query " + request.queryId(), e);
        }
    }

    /**
     * A failure as the user's mistake or the memory limit when DuckDB says so (with its message, paths removed), else
     * as the server's own failure.
     */
    private RuntimeException failed(String what, Exception e) {
        return DuckErrors.classify(e, this::scrub)
                .orElseGet(() -> new IllegalStateException(what + " failed: " + scrub(e.getMessage()), e));
    }

    /**
     * The result schema and parameter types of a statement, through the same sandbox and planning as {@link #execute}
     * but without reading a row: the planned statement runs under {@code LIMIT 0} with every parameter NULL.
     */
    public StatementShape shape(QueryRequest request) {
        Planned planned = null;
        try (DuckDBConnection connection = database.duplicate()) {
            // A statement the statistics answer has the scan's result schema (the answer takes DuckDB's names and
            // types for it), and describing it then opens no file's footer.
            planned = plan(connection, request, request.sql(), settings.statsAnswers());
            try (PreparedStatement statement = connection.prepareStatement("SELECT * FROM (" + planned.sql() + ") LIMIT 0")) {
                ParameterMetaData parameters = statement.getParameterMetaData();
                List<ArrowType> types = new ArrayList<>();
                for (int i = 1; i <= parameters.getParameterCount(); i++) {
                    types.add(parameterType(parameters.getParameterTypeName(i)));
                    statement.setObject(i, null);
                }
                try (DuckDBResultSet rs = (DuckDBResultSet) statement.executeQuery();
                        ArrowReader reader = (ArrowReader) rs.arrowExportStream(allocator, 1)) {
                    return new StatementShape(reader.getVectorSchemaRoot().getSchema(), types);
                }
            }
        } catch (SQLException | IOException e) {
            throw failed("describing a statement", e);
        } finally {
            if (planned != null && planned.lease() != null) {
                planned.lease().close();
            }
        }
    }

    /** A parameter's DuckDB type as the Arrow type a client binds it with; text where DuckDB could not infer one. */
    private static ArrowType parameterType(String duckType) {
        String type = duckType == null ? "" : duckType.toUpperCase(Locale.ROOT);
        Matcher decimal = DECIMAL.matcher(type);
        if (decimal.matches()) {
            return new ArrowType.Decimal(Integer.parseInt(decimal.group(1)), Integer.parseInt(decimal.group(2)), 128);
        }
        return switch (type) {
            case "BOOLEAN" -> ArrowType.Bool.INSTANCE;
            case "TINYINT" -> new ArrowType.Int(8, true);
            case "SMALLINT" -> new ArrowType.Int(16, true);
            case "INTEGER" -> new ArrowType.Int(32, true);
            case "BIGINT" -> new ArrowType.Int(64, true);
            case "FLOAT" -> new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
            case "DOUBLE" -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
            case "DATE" -> new ArrowType.Date(DateUnit.DAY);
            case "TIMESTAMP" -> new ArrowType.Timestamp(MICROSECOND, null);
            case "TIMESTAMP WITH TIME ZONE" -> new ArrowType.Timestamp(MICROSECOND, "UTC");
            case "BLOB" -> ArrowType.Binary.INSTANCE;
            default -> ArrowType.Utf8.INSTANCE;
        };
    }

    /** The plan of a statement as text, with storage paths removed; ANALYZE runs it to show actual counts. */
    public String explain(QueryRequest request, boolean analyze) {
        Matcher explain = EXPLAIN.matcher(request.sql());
        String sql = explain.matches() ? explain.group(2) : request.sql();
        Planned planned = null;
        AtomicBoolean timedOut = new AtomicBoolean();
        try (DuckDBConnection connection = database.duplicate()) {
            planned = plan(connection, request, sql, false);
            StringBuilder text = new StringBuilder();
            try (Statement statement = connection.createStatement()) {
                // ANALYZE runs the statement: it gets the query's timeout like any query.
                ScheduledFuture<?> deadline = watchdog.schedule(() -> {
                    timedOut.set(true);
                    try {
                        statement.cancel();
                    } catch (SQLException e) {
                        log.warn("cancelling an explain failed", e);
                    }
                }, request.timeout().toMillis(), TimeUnit.MILLISECONDS);
                try (ResultSet rs = statement.executeQuery((analyze ? "EXPLAIN ANALYZE " : "EXPLAIN ") + planned.sql())) {
                    while (rs.next()) {
                        text.append(rs.getString(2)).append('\n');
                    }
                } finally {
                    deadline.cancel(false);
                }
            }
            return scrub(text.toString());
        } catch (SQLException e) {
            if (timedOut.get()) {
                throw new QueryTimeoutException("explain ran past " + request.timeout().toMillis() + " ms", e);
            }
            throw failed("explain", e);
        } finally {
            if (planned != null && planned.lease() != null) {
                planned.lease().close();
            }
        }
    }

    /**
     * A WHERE clause as exact column predicates of a table: every conjunct must be a column compared with a constant
     * of the column's type, or the clause is refused.
     */
    public List<ColumnPredicate> parseFilter(TableSchema schema, String where) {
        try (DuckDBConnection connection = database.duplicate()) {
            List<PushedPredicate> pushed = SqlAnalyzer.strictConjuncts(connection, where);
            List<ColumnPredicate> predicates = predicates(schema, pushed);
            if (predicates.size() != pushed.size()) {
                throw new InvalidInputException("where",
                        "a column is unknown, or a constant does not have its column's type");
            }
            return predicates;
        } catch (SQLException e) {
            throw new IllegalStateException("parsing a filter failed: " + scrub(e.getMessage()), e);
        }
    }

    /**
     * Cancels a running query of the tenant; its stream then ends with {@link QueryTimeoutException}. Another
     * tenant's query with the same id is not touched: false.
     */
    public boolean cancel(String tenant, String queryId) {
        Running query = running.get(queryId);
        if (query == null || !query.tenant.equals(tenant)) {
            return false;
        }
        query.cancel();
        return true;
    }

    /** DuckDB's memory in use, all queries together. */
    public long memoryUsageBytes() {
        try (Statement statement = database.createStatement();
                ResultSet rs = statement.executeQuery("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public int runningQueries() {
        return running.size();
    }

    @Override
    public void close() throws SQLException {
        running.values().forEach(Running::cancel);
        watchdog.shutdownNow();
        database.close();
    }

    private record Planned(String sql, Map<DatasetName, Long> versions, Map<DatasetName, Integer> filesScanned,
            RemoteFileCache.Lease lease) {}

    /**
     * @param statsAnswers whether the statement may be answered from the log's statistics; a statement that is
     *     explained gets the scan's plan
     */
    private Planned plan(DuckDBConnection connection, QueryRequest request, String sql, boolean statsAnswers) throws SQLException {
        AnalyzedStatement statement = analyzed.analyze(connection, request.tenant(), sql, name -> resolver.resolve(request.tenant(), name).isPresent(),
                request.defaultCatalog(), request.defaultSchema());
        Map<String, TableSnapshot> pinned = new HashMap<>();
        if (statsAnswers) {
            Optional<Planned> answered = answerFromStats(connection, request, statement, pinned);
            if (answered.isPresent()) {
                return answered.get();
            }
        }
        Map<DatasetName, Long> versions = new HashMap<>();
        Map<DatasetName, Integer> filesScanned = new HashMap<>();
        RemoteFileCache.Lease lease = remoteFiles.map(RemoteFileCache::lease).orElse(null);
        try (Statement ddl = connection.createStatement()) {
            for (TableReference table : statement.tables()) {
                TableSnapshot snapshot = pin(request, table, pinned);
                versions.put(table.name(), snapshot.version());
                List<DataFile> files = ScanPlanner.plan(snapshot, predicates(snapshot.schema(), table.predicates())).stream()
                        .map(ScanPlanner.PlannedFile::file).toList();
                filesScanned.merge(table.name(), files.size(), Integer::sum);
                Map<URI, Path> local = localFiles(request, table, snapshot, files, lease);
                Function<DataFile, Path> localPath = file -> local.get(file.uri(snapshot.tableRoot()));
                Map<String, Set<String>> columns = FileColumns.of(connection, snapshot, files, localPath);
                Map<String, String> deletedRows = deletedRows(connection, ddl, request, table, files);
                ddl.execute("CREATE TEMP VIEW " + DuckTypes.quote(table.viewName()) + " AS "
                        + ViewBuilder.select(snapshot.schema(), files, localPath, file -> columns.get(file.path()),
                                file -> deletedRows.get(file.path()), statement.namesSystemColumns()));
            }
        } catch (SQLException | RuntimeException e) {
            if (lease != null) {
                lease.close();
            }
            throw e;
        }
        return new Planned(statement.rewrittenSql(), versions, filesScanned, lease);
    }

    /**
     * For each file with a deletion vector, a temporary table of the row positions it deletes, by file path: the
     * view leaves those rows out. The tables live as long as the query's connection; the statement cannot name them,
     * since it may name only datasets.
     */
    private Map<String, String> deletedRows(DuckDBConnection connection, Statement ddl, QueryRequest request, TableReference table,
            List<DataFile> files) throws SQLException {
        Map<String, String> tables = new HashMap<>();
        List<DataFile> withVectors = files.stream().filter(file -> file.deletionVector().isPresent()).toList();
        if (withVectors.isEmpty()) {
            return tables;
        }
        SnapshotCache cache = cache(request.tenant(), table.name());
        for (DataFile file : withVectors) {
            String name = table.viewName() + "_dv" + tables.size();
            ddl.execute("CREATE TEMP TABLE " + DuckTypes.quote(name) + " (pos BIGINT)");
            try (DuckDBAppender appender = connection.createAppender("temp", "main", name)) {
                for (long position : cache.deletedRows(file)) {
                    appender.beginRow().append(position).endRow();
                }
            }
            tables.put(file.path(), name);
        }
        return tables;
    }

    /**
     * A constant answer from the statistics of the snapshot the scan would read, pinned in {@code pinned} so that a
     * fallback to the scan reads the same one. No data file is opened: files scanned is 0.
     */
    private Optional<Planned> answerFromStats(DuckDBConnection connection, QueryRequest request, AnalyzedStatement statement,
            Map<String, TableSnapshot> pinned) throws SQLException {
        StatsAnswers answers = new StatsAnswers(connection, statsShapes);
        Optional<StatsAnswers.Query> query = answers.recognize(statement);
        if (query.isEmpty()) {
            return Optional.empty();
        }
        TableReference table = query.get().table();
        TableSnapshot snapshot = pin(request, table, pinned);
        List<ColumnPredicate> predicates = predicates(snapshot.schema(), table.predicates());
        if (!answers.filtersExactly(query.get(), snapshot.schema(), predicates)) {
            return Optional.empty();
        }
        List<ScanPlanner.PlannedFile> files = ScanPlanner.plan(snapshot, predicates);
        // A past version whose files vacuum deleted cannot be scanned; its counts must not outlive its files either.
        // The engine sees a remote file only by copying it into the cache, so a past version on object storage is left
        // to the scan, which makes that check.
        if (travel(request, table) != null && !files.stream().map(f -> f.file().uri(snapshot.tableRoot()))
                .allMatch(uri -> "file".equals(uri.getScheme()) && Files.exists(Path.of(uri)))) {
            return Optional.empty();
        }
        return answers.answer(query.get(), snapshot.schema(), predicates, files)
                .map(sql -> new Planned(sql, Map.of(table.name(), snapshot.version()), Map.of(table.name(), 0), null));
    }

    /**
     * The local paths of the files a table reference reads. A past version whose data files vacuum deleted (they were
     * removed longer ago than the retention) is gone, though its log entry may remain: the request cannot succeed
     * against the table as it is.
     */
    private Map<URI, Path> localFiles(QueryRequest request, TableReference table, TableSnapshot snapshot, List<DataFile> files,
            RemoteFileCache.Lease lease) {
        boolean pastVersion = travel(request, table) != null;
        Map<URI, Path> local;
        try {
            local = localPaths(files.stream().map(file -> file.uri(snapshot.tableRoot())).toList(), lease);
        } catch (RuntimeException e) {
            if (pastVersion && isFileNotFound(e)) {
                throw vacuumed(table, snapshot);
            }
            throw e;
        }
        if (pastVersion && !local.values().stream().allMatch(Files::exists)) {
            throw vacuumed(table, snapshot);
        }
        return local;
    }

    /** A remote copy that failed because the object is gone (the store's error wraps it). */
    private static boolean isFileNotFound(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof FileNotFoundException) {
                return true;
            }
        }
        return false;
    }

    private static VersionNotAvailableException vacuumed(TableReference table, TableSnapshot snapshot) {
        return new VersionNotAvailableException("table '" + table.name() + "' version " + snapshot.version()
                + " is no longer readable: its data files were deleted by vacuum after the retention period");
    }

    /** Where DuckDB reads each file: in place on a local filesystem, else its copy in the cache. */
    private static Map<URI, Path> localPaths(List<URI> files, RemoteFileCache.Lease lease) {
        Map<URI, Path> local = new HashMap<>();
        List<URI> remote = new ArrayList<>();
        for (URI file : files) {
            if ("file".equals(file.getScheme())) {
                local.put(file, Path.of(file));
            } else {
                remote.add(file);
            }
        }
        if (!remote.isEmpty()) {
            if (lease == null) {
                throw new IllegalStateException("no file cache configured for remote data files such as "
                        + remote.get(0).getScheme() + "://");
            }
            local.putAll(lease.localPaths(remote));
        }
        return local;
    }

    /** One snapshot per table and time-travel target for the whole query: snapshot isolation. */
    private TableSnapshot pin(QueryRequest request, TableReference table, Map<String, TableSnapshot> pinned) {
        TimeTravel travel = travel(request, table);
        String key = table.name() + "@" + (travel == null ? "latest" : travel.toString());
        return pinned.computeIfAbsent(key, k -> {
            if (travel == null) {
                return switch (request.consistency()) {
                    case LATEST_LOCAL -> cache(request.tenant(), table.name()).current();
                    case LATEST_COMMITTED -> cache(request.tenant(), table.name()).refresh();
                    case READ_YOUR_WRITES -> resolver.readYourWrites(request.tenant(), table.name())
                            .orElseThrow(() -> unknownTable(table.name()));
                };
            }
            SnapshotCache cache = cache(request.tenant(), table.name());
            try {
                return travel.version().isPresent() ? cache.at(travel.version().getAsLong()) : cache.asOf(travel.timestamp());
            } catch (UnsupportedTableFeatureException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new VersionNotAvailableException("table '" + table.name() + "' has no version " + (travel.version().isPresent()
                        ? travel.version().getAsLong() : "at " + travel.timestamp()) + " to read");
            }
        });
    }

    private SnapshotCache cache(String tenant, DatasetName name) {
        return resolver.resolve(tenant, name).orElseThrow(() -> unknownTable(name));
    }

    private static UnknownTableException unknownTable(DatasetName name) {
        return new UnknownTableException("table '" + name + "' does not exist");
    }

    private static TimeTravel travel(QueryRequest request, TableReference table) {
        try {
            if (table.atVersion().isPresent()) {
                return TimeTravel.atVersion(Long.parseLong(table.atVersion().get().text()));
            }
            if (table.atTimestamp().isPresent()) {
                return TimeTravel.asOf(Literals.instant(table.atTimestamp().get()));
            }
        } catch (IllegalArgumentException e) {
            throw new QueryRejectedException("AT (...) of '" + table.name() + "' needs a whole version or a timestamp");
        }
        return request.timeTravel().get(table.name());
    }

    private static List<ColumnPredicate> predicates(TableSchema schema, List<PushedPredicate> pushed) {
        List<ColumnPredicate> predicates = new ArrayList<>();
        for (PushedPredicate predicate : pushed) {
            Optional<Field> field = schema.logical().getFields().stream()
                    .filter(f -> f.getName().equalsIgnoreCase(predicate.column())).findFirst();
            if (field.isEmpty()) {
                continue;
            }
            List<Object> values = new ArrayList<>();
            for (SqlLiteral literal : predicate.values()) {
                Optional<Object> value = Literals.toColumnValue(field.get().getType(), literal);
                if (value.isEmpty()) {
                    break;
                }
                values.add(value.get());
            }
            if (values.size() == predicate.values().size()) {
                predicates.add(new ColumnPredicate(field.get().getName(), predicate.op(), values));
            }
        }
        return predicates;
    }

    private QueryResult start(DuckDBConnection connection, QueryRequest request, String sql,
            Map<DatasetName, Long> versions, Map<DatasetName, Integer> files, RemoteFileCache.Lease lease,
            BooleanSupplier cancelledEarly) throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        Running query = new Running(request.queryId(), request.tenant(), connection, statement, lease);
        if (running.putIfAbsent(request.queryId(), query) != null) {
            query.close();
            throw new IllegalArgumentException("a query with id " + request.queryId() + " is running");
        }
        // The caller marks before it looks the query up, and the query is registered before the mark is read: a cancel
        // racing with the start is seen by one of the two.
        if (cancelledEarly.getAsBoolean()) {
            query.cancel();
        }
        query.deadline = watchdog.schedule(query::cancel, request.timeout().toMillis(), TimeUnit.MILLISECONDS);
        try {
            DuckDBResultSet rs = (DuckDBResultSet) statement.executeQuery();
            ArrowReader reader = (ArrowReader) rs.arrowExportStream(allocator, settings.batchRows());
            query.reader = reader;
            query.resultSet = rs;
            Optional<Field> encoded = reader.getVectorSchemaRoot().getSchema().getFields().stream().filter(QueryEngine::holdsDictionary).findFirst();
            if (encoded.isPresent()) {
                query.close();
                String name = encoded.get().getName();
                throw new QueryRejectedException(encoded.get().getDictionary() != null
                        ? "result column '" + name + "' is an ENUM, which results do not carry: cast it to VARCHAR (" + name + "::VARCHAR)"
                        : "result column '" + name + "' holds ENUM values, which results do not carry: cast them to VARCHAR");
            }
            return new QueryResult(reader, request.rowLimit(), versions, files, query::close, query.cancelled::get,
                    e -> failed("query " + request.queryId(), e));
        } catch (QueryRejectedException e) {
            throw e;
        } catch (SQLException | IOException | RuntimeException e) {
            Exception failure = query.cancelled.get() ? e : realError(connection, sql, e);
            boolean cancelled = query.cancelled.get();
            query.close();
            if (cancelled) {
                throw new QueryTimeoutException("query " + request.queryId() + " was cancelled or ran past "
                        + request.timeout().toMillis() + " ms", e);
            }
            throw failed("query " + request.queryId(), failure);
        }
    }

    /**
     * Whether DuckDB exports the field, or a field nested in it, dictionary-encoded (an ENUM): every door writes a
     * result's batches without their dictionaries, so such a column cannot be sent.
     */
    private static boolean holdsDictionary(Field field) {
        return field.getDictionary() != null || field.getChildren().stream().anyMatch(QueryEngine::holdsDictionary);
    }

    /**
     * DuckDB's JDBC driver (2.0.0.1) reports a streamed statement that failed while running — a value that does not
     * convert, the memory limit — only as "Invalid result set", losing DuckDB's message. EXPLAIN ANALYZE runs the
     * statement without streaming and fails with the real error; the query's watchdog still bounds it, since a
     * cancel interrupts the whole connection.
     */
    private static Exception realError(DuckDBConnection connection, String sql, Exception lost) {
        if (lost.getMessage() == null || !lost.getMessage().contains("Invalid result set")) {
            return lost;
        }
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("EXPLAIN ANALYZE " + sql)) {
            while (rs.next()) {
                // the plan is not wanted, only the error
            }
            return lost;
        } catch (SQLException real) {
            return real;
        }
    }

    /** Removes storage locations from text shown to users: plans and error messages. */
    private String scrub(String text) {
        if (text == null) {
            return null;
        }
        String scrubbed = text;
        for (Path directory : settings.readableDirectories()) {
            scrubbed = scrubbed.replace(directory.toAbsolutePath().normalize() + "/", "").replace(directory.toAbsolutePath().normalize().toString(), "");
        }
        return scrubbed;
    }

    /** A query in flight: what cancelling and closing it must release. */
    private final class Running {
        final String id;
        final String tenant;
        final DuckDBConnection connection;
        final PreparedStatement statement;
        final RemoteFileCache.Lease lease;
        final AtomicBoolean cancelled = new AtomicBoolean();
        final AtomicBoolean closed = new AtomicBoolean();
        volatile ScheduledFuture<?> deadline;
        volatile ArrowReader reader;
        volatile ResultSet resultSet;

        Running(String id, String tenant, DuckDBConnection connection, PreparedStatement statement, RemoteFileCache.Lease lease) {
            this.id = id;
            this.tenant = tenant;
            this.connection = connection;
            this.statement = statement;
            this.lease = lease;
        }

        /**
         * Cancels now and keeps cancelling until the query is closed: a cancel that arrives before DuckDB has begun
         * executing the statement does nothing, and the statement would then run to its end.
         */
        void cancel() {
            if (cancelled.compareAndSet(false, true)) {
                AtomicReference<ScheduledFuture<?>> repeat = new AtomicReference<>();
                repeat.set(watchdog.scheduleWithFixedDelay(() -> {
                    if (closed.get()) {
                        ScheduledFuture<?> self = repeat.get();
                        if (self != null) {
                            self.cancel(false);
                        }
                        return;
                    }
                    try {
                        statement.cancel();
                    } catch (SQLException e) {
                        log.warn("cancelling query {} failed", id, e);
                    }
                }, 0, 100, TimeUnit.MILLISECONDS));
            }
        }

        void close() {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            running.remove(id, this);
            if (deadline != null) {
                deadline.cancel(false);
            }
            try {
                if (reader != null) {
                    reader.close();
                }
                if (resultSet != null) {
                    resultSet.close();
                }
                statement.close();
                connection.close();
                if (lease != null) {
                    lease.close();
                }
            } catch (Exception e) {
                log.warn("closing query {} failed", id, e);
            }
        }
    }
}
