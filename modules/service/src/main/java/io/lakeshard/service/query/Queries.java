package io.lakeshard.service.query;

import static java.util.Objects.requireNonNull;

import io.lakeshard.cluster.metrics.Metrics;
import io.lakeshard.cluster.query.ClusterQueries;
import io.lakeshard.cluster.query.QueryDirectory.LocalQueries;
import io.lakeshard.cluster.query.QueryDirectory.QueryInfo;
import io.lakeshard.query.QueryRequest;
import io.lakeshard.query.catalog.DatasetCatalog;
import io.lakeshard.query.catalog.DatasetCatalog.TableDescription;
import io.lakeshard.query.engine.QueryEngine;
import io.lakeshard.query.engine.StatementShape;
import io.lakeshard.service.Principal;
import io.lakeshard.service.ServiceErrors;
import io.lakeshard.service.ServiceException;
import io.lakeshard.service.ServiceException.Code;
import io.lakeshard.service.ServiceSettings;
import io.lakeshard.storage.dataset.DatasetName;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * SQL over the caller's datasets. The server names every query (a UUID; the client's label is kept beside it), so
 * ids never collide, and cancel and the query list reach only the caller's own queries, on whichever node of the
 * cluster they run. Each tenant has a bounded number of queries running at once on a node.
 */
public final class Queries implements LocalQueries {
    private final QueryEngine engine;
    private final DatasetCatalog catalog;
    private final ServiceSettings settings;
    private final Metrics metrics;
    private final Executor blocking;
    private final Clock clock;
    private final String node;
    private final ClusterQueries cluster;
    private final Map<String, Semaphore> slots = new ConcurrentHashMap<>();
    private final Map<String, Entry> running = new ConcurrentHashMap<>();

    /** A query running here: who owns it, to check before a cancel or a listing reaches it. */
    private record Entry(String tenant, QueryInfo info, QueryStream stream) {}

    /**
     * @param node how this node names itself in query listings
     * @param cluster given this instance as the local queries, reaches the other nodes' queries
     */
    public Queries(QueryEngine engine, DatasetCatalog catalog, ServiceSettings settings, Metrics metrics, Executor blocking,
            Clock clock, String node, Function<LocalQueries, ClusterQueries> cluster) {
        this.engine = requireNonNull(engine, "engine is null");
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.blocking = requireNonNull(blocking, "blocking is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.node = requireNonNull(node, "node is null");
        this.cluster = requireNonNull(cluster, "cluster is null").apply(this);
    }

    /**
     * Admits a query: takes one of the tenant's slots and names it. Nothing runs until the door opens the stream
     * ({@link QueryStream#open()}), after it has told the caller the id.
     *
     * @throws ServiceException RESOURCE_EXHAUSTED when the tenant already runs its most queries on this node
     */
    public QueryStream start(Principal principal, QuerySpec spec) {
        String tenant = principal.tenant();
        Semaphore tenantSlots = slots.computeIfAbsent(tenant, t -> new Semaphore(settings.maxConcurrentQueriesPerTenant()));
        if (!tenantSlots.tryAcquire()) {
            throw new ServiceException(Code.RESOURCE_EXHAUSTED, "at most " + settings.maxConcurrentQueriesPerTenant()
                    + " queries of a tenant run at once; retry when one ends");
        }
        String id = UUID.randomUUID().toString();
        QueryRequest request = request(id, tenant, spec);
        QueryStream stream = new QueryStream(id, spec.label(), request.rowLimit(), cancelled -> engine.execute(request, cancelled),
                () -> engine.cancel(tenant, id), () -> {
                    running.remove(id);
                    tenantSlots.release();
                }, metrics);
        running.put(id, new Entry(tenant, new QueryInfo(id, spec.label(), spec.sql(), clock.instant(), node), stream));
        return stream;
    }

    /** The plan as text; with {@code analyze} the statement runs to show actual counts. */
    public CompletionStage<String> explain(Principal principal, QuerySpec spec, boolean analyze) {
        return blocking(() -> engine.explain(request(UUID.randomUUID().toString(), principal.tenant(), spec), analyze));
    }

    /**
     * The result schema and parameter types of a statement, before it runs and without a query slot: checked by the
     * sandbox like the statement itself, so a refusal reads the same.
     */
    public CompletionStage<StatementShape> shape(Principal principal, QuerySpec spec) {
        return blocking(() -> {
            try {
                return engine.shape(request(UUID.randomUUID().toString(), principal.tenant(), spec));
            } catch (RuntimeException e) {
                throw ServiceErrors.map(e);
            }
        });
    }

    /** Cancels one of the caller's queries wherever it runs; false if the caller has no running query by that id. */
    public CompletionStage<Boolean> cancel(Principal principal, String queryId) {
        return cluster.cancel(principal.tenant(), queryId);
    }

    /** The caller's queries running anywhere in the cluster. */
    public CompletionStage<List<QueryInfo>> running(Principal principal) {
        return cluster.running(principal.tenant());
    }

    public CompletionStage<List<String>> catalogs(Principal principal) {
        return blocking(() -> catalog.catalogs(principal.tenant()));
    }

    public CompletionStage<List<String>> schemas(Principal principal, String catalogName) {
        return blocking(() -> catalog.schemas(principal.tenant(), catalogName));
    }

    /** @param schema null: every schema of the catalog */
    public CompletionStage<List<DatasetName>> tables(Principal principal, String catalogName, String schema) {
        return blocking(() -> catalog.tables(principal.tenant(), catalogName, schema));
    }

    public CompletionStage<TableDescription> describe(Principal principal, DatasetName name) {
        return blocking(() -> catalog.describe(principal.tenant(), name));
    }

    /** Queries running on this node. */
    public int runningHere() {
        return running.size();
    }

    @Override
    public boolean cancel(String tenant, String queryId) {
        Entry entry = running.get(queryId);
        if (entry == null || !entry.tenant().equals(tenant)) {
            return false;
        }
        // Until it is planned the engine does not know it; marked, it starts cancelled. Once known, the engine stops it.
        boolean marked = entry.stream().markCancelled();
        return engine.cancel(tenant, queryId) || marked;
    }

    @Override
    public List<QueryInfo> running(String tenant) {
        return running.values().stream().filter(entry -> entry.tenant().equals(tenant)).map(Entry::info).toList();
    }

    private QueryRequest request(String id, String tenant, QuerySpec spec) {
        Duration timeout = spec.timeout().orElse(settings.defaultQueryTimeout());
        if (spec.deadline().isPresent() && spec.deadline().get().compareTo(timeout) < 0) {
            timeout = spec.deadline().get();
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new ServiceException(Code.DEADLINE_EXCEEDED, "the caller's deadline has passed");
        }
        return new QueryRequest(id, tenant, spec.sql(), spec.defaultCatalog().orElse(null), spec.defaultSchema().orElse(null),
                spec.rowLimit().orElse(settings.defaultRowLimit()), timeout, spec.consistency(), spec.timeTravel());
    }

    private <T> CompletionStage<T> blocking(Supplier<T> call) {
        return CompletableFuture.supplyAsync(call, blocking);
    }
}
