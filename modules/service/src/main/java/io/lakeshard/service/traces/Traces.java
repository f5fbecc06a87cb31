package io.lakeshard.service.traces;

import static java.util.Objects.requireNonNull;

import io.lakeshard.service.Principal;
import io.lakeshard.service.ServiceErrors;
import io.lakeshard.service.ServiceException;
import io.lakeshard.service.ServiceException.Code;
import io.lakeshard.service.query.Queries;
import io.lakeshard.service.query.QuerySpec;
import io.lakeshard.service.query.QueryStream;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.traces.query.GetTraceStatement;
import io.lakeshard.traces.query.ListServicesStatement;
import io.lakeshard.traces.query.RedMetrics;
import io.lakeshard.traces.query.RedMetricsStatement;
import io.lakeshard.traces.query.ReadSpansStatement;
import io.lakeshard.traces.query.RedQuery;
import io.lakeshard.traces.query.SearchTracesStatement;
import io.lakeshard.traces.query.ServiceList;
import io.lakeshard.traces.query.SpanRead;
import io.lakeshard.traces.query.TimeRange;
import io.lakeshard.traces.query.Trace;
import io.lakeshard.traces.query.TraceLookup;
import io.lakeshard.traces.query.TracePage;
import io.lakeshard.traces.query.TraceSearch;
import io.lakeshard.traces.query.TraceStatement;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Trace queries over a tenant's span tables: a trace by id as a tree, search, services, RED metrics, and the spans of
 * a range page by page. Each is one fixed statement (the traces module's; a page of spans, one per page) run exactly
 * as the tenant's own SQL is, through {@link Queries}: admitted against the tenant's query slots, sandboxed to its
 * datasets, under its limits and timeouts, and counted in the query metrics.
 */
public final class Traces {
    /** The range of a search, service list or RED query that names none. */
    public static final Duration DEFAULT_RANGE = Duration.ofHours(1);

    private final Queries queries;
    private final BufferAllocator allocator;
    private final Executor blocking;
    private final Clock clock;

    /**
     * @param allocator for the rows of a trace by id, which the caller frees by closing the trace
     * @param blocking where statements run: opening and reading a query block
     */
    public Traces(Queries queries, BufferAllocator allocator, Executor blocking, Clock clock) {
        this.queries = requireNonNull(queries, "queries is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.blocking = requireNonNull(blocking, "blocking is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * One trace, each span once, in tree order; the caller closes it.
     *
     * @throws ServiceException NOT_FOUND (in the stage) when no span of the trace is stored
     */
    public CompletionStage<Trace> trace(Principal principal, TraceLookup lookup, ReadOptions options) {
        return run(principal, () -> new GetTraceStatement(lookup, allocator), options).thenApply(found -> found.orElseThrow(
                () -> new ServiceException(Code.NOT_FOUND, "trace " + lookup.traceId() + " has no spans in " + lookup.dataset()
                        + (lookup.timeHint().isPresent() ? " in the time hint's range" : ""))));
    }

    /** A page of traces with a matching span, newest first. */
    public CompletionStage<TracePage> search(Principal principal, TraceSearch search, ReadOptions options) {
        return run(principal, () -> SearchTracesStatement.of(search, defaultRange()), options);
    }

    /** The services of a time range (empty: the last hour) and their operations. */
    public CompletionStage<ServiceList> services(Principal principal, DatasetName dataset, Optional<TimeRange> range,
            ReadOptions options) {
        return run(principal, () -> new ListServicesStatement(dataset, range.orElseGet(this::defaultRange)), options);
    }

    public CompletionStage<RedMetrics> redMetrics(Principal principal, RedQuery query, ReadOptions options) {
        return run(principal, () -> RedMetricsStatement.of(query, defaultRange()), options);
    }

    /**
     * The spans of a range, a page at a time; the first page's query starts when it is asked for. The caller's
     * deadline bounds the whole read: each page gets what is left of it.
     */
    public SpanPages readSpans(Principal principal, SpanRead read, ReadOptions options) {
        requireNonNull(read, "read is null");
        long started = System.nanoTime();
        return new SpanPages(after -> run(principal, () -> new ReadSpansStatement(read, after),
                options.less(Duration.ofNanos(System.nanoTime() - started))));
    }

    private TimeRange defaultRange() {
        return TimeRange.before(clock.instant(), DEFAULT_RANGE);
    }

    /**
     * Runs a statement as the tenant's query: admitted here (a refusal fails the stage at once), opened and read on
     * the blocking executor, every batch handed to the statement, the query closed however it ends. The trace
     * queries' own, and those of the features built on them (a sampler's).
     */
    public <T> CompletionStage<T> run(Principal principal, Supplier<TraceStatement<T>> statements, ReadOptions options) {
        TraceStatement<T> statement;
        QueryStream query;
        try {
            statement = statements.get();
            query = queries.start(principal, new QuerySpec("", statement.sql(), Optional.empty(), Optional.empty(),
                    OptionalLong.of(statement.rowLimit()), Optional.empty(), options.deadline(), options.consistency(), Map.of()));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(ServiceErrors.map(e));
        }
        try {
            return CompletableFuture.supplyAsync(() -> {
                try (statement; query) {
                    query.open();
                    while (query.next()) {
                        statement.add(query.batch());
                    }
                    return statement.result(query.truncated());
                } catch (RuntimeException e) {
                    throw ServiceErrors.map(e);
                }
            }, blocking);
        } catch (RuntimeException e) {
            // Not run (the executor is shutting down): the tenant's slot comes back now.
            query.close();
            return CompletableFuture.failedFuture(ServiceErrors.map(e));
        }
    }
}
