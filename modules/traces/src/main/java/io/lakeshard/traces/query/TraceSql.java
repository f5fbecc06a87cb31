package io.lakeshard.traces.query;

import static io.lakeshard.traces.SpanSchema.DURATION_NS;
import static io.lakeshard.traces.SpanSchema.NAME;
import static io.lakeshard.traces.SpanSchema.PARENT_SPAN_ID;
import static io.lakeshard.traces.SpanSchema.SERVICE_NAME;
import static io.lakeshard.traces.SpanSchema.SPAN_ID;
import static io.lakeshard.traces.SpanSchema.START_TIME;
import static io.lakeshard.traces.SpanSchema.START_TIME_UNIX_NANO;
import static io.lakeshard.traces.SpanSchema.STATUS_CODE;
import static io.lakeshard.traces.SpanSchema.TRACE_ID;

import io.lakeshard.storage.dataset.DatasetName;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The statements of the trace queries, over a span table, as the tenant's own SQL: they go through the query sandbox,
 * name their dataset like any query, and take every caller value as a validated literal.
 *
 * <p>Each statement reads the table in a SELECT of that table alone whose WHERE starts with {@code start_time} bounds,
 * which the query layer uses to skip files by their statistics (and DuckDB, row groups). The bounds are a
 * millisecond wider than the range, which is then applied exactly on {@code start_time_unix_nano}: file statistics
 * are millisecond-wide anyway, and a microsecond rounding of {@code start_time} either way cannot lose a span.
 *
 * <p>A retried export can store a span twice. Every statement counts each (trace id, span id) once: a trace by id
 * keeps one row per span id, the aggregates read spans grouped by both ids first.
 */
public final class TraceSql {
    /** Result columns. */
    static final String TRACE_HEX = "trace_hex";
    static final String SPAN_COUNT = "span_count";
    static final String ERROR_COUNT = "error_count";
    static final String SERVICE_NAMES = "service_names";
    static final String ROOT_SERVICE_NAME = "root_service_name";
    static final String ROOT_SPAN_NAME = "root_span_name";
    static final String ROOT_MISSING = "root_missing";
    static final String SPAN_NAME = "span_name";
    static final String BUCKET_START = "bucket_start_unix_nano";
    static final String REQUESTS = "requests";
    static final String ERRORS = "errors";
    static final String P50 = "p50_ns";
    static final String P95 = "p95_ns";
    static final String P99 = "p99_ns";

    private static final long PRUNING_SLACK_MICROS = 1_000;

    private TraceSql() {}

    /**
     * Every span of one trace once, earliest first. The trace id is a blob constant, which DuckDB checks against the
     * files' bloom filters on {@code trace_id}.
     */
    public static String trace(TraceLookup lookup) {
        List<String> where = new ArrayList<>();
        where.add(TRACE_ID + " = " + lookup.traceId().sqlLiteral());
        lookup.timeHint().ifPresent(range -> where.addAll(inRange(range)));
        return "SELECT * FROM " + SqlText.table(lookup.dataset())
                + " WHERE " + String.join(" AND ", where)
                + " QUALIFY row_number() OVER (PARTITION BY " + SPAN_ID + " ORDER BY " + START_TIME_UNIX_NANO + ") = 1"
                + " ORDER BY " + START_TIME_UNIX_NANO + ", " + SPAN_ID;
    }

    /**
     * One page of a span read: every column of the spans after {@code after} in the order (start, trace id, span id),
     * one span more than the page (which says whether another page follows). A span stored twice is two rows here;
     * {@link ReadSpansStatement} keeps one. The time bounds start at the cursor's start, so the files of the range
     * that earlier pages read are skipped by their statistics.
     */
    public static String spans(SpanRead read, Optional<SpanCursor> after) {
        List<String> where = new ArrayList<>(inRange(after.map(cursor -> new TimeRange(
                Math.max(read.range().startUnixNano(), cursor.startUnixNano()), read.range().endUnixNano())).orElse(read.range())));
        if (!read.serviceNames().isEmpty()) {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < read.serviceNames().size(); i++) {
                names.add(SqlText.string(read.serviceNames().get(i), "service_names[" + i + "]"));
            }
            where.add(SERVICE_NAME + " IN (" + String.join(", ", names) + ")");
        }
        if (!read.traceIds().isEmpty()) {
            where.add(TRACE_ID + " IN (" + String.join(", ", read.traceIds().stream().map(TraceId::sqlLiteral).toList()) + ")");
        }
        after.ifPresent(cursor -> {
            String trace = SqlText.blob(cursor.traceId().toByteArray());
            where.add("(" + START_TIME_UNIX_NANO + " > " + cursor.startUnixNano()
                    + " OR (" + START_TIME_UNIX_NANO + " = " + cursor.startUnixNano() + " AND (" + TRACE_ID + " > " + trace
                    + " OR (" + TRACE_ID + " = " + trace + " AND " + SPAN_ID + " > " + SqlText.blob(cursor.spanId().toByteArray()) + "))))");
        });
        return "SELECT * FROM " + SqlText.table(read.dataset()) + " WHERE " + String.join(" AND ", where)
                + " ORDER BY " + START_TIME_UNIX_NANO + ", " + TRACE_ID + ", " + SPAN_ID + " LIMIT " + (read.pageSpans() + 1);
    }

    /**
     * One page of trace summaries, one row more than the limit (which says whether there is a next page). First the
     * traces with a matching span, then all their spans in the range, summarised.
     */
    public static String search(TraceSearch search, TimeRange range, Optional<SearchCursor> after) {
        String table = SqlText.table(search.dataset());
        List<String> conditions = search.filter().sql();
        StringBuilder sql = new StringBuilder("WITH ");
        List<String> spanWhere = new ArrayList<>(inRange(range));
        if (!conditions.isEmpty()) {
            List<String> matchWhere = new ArrayList<>(inRange(range));
            matchWhere.addAll(conditions);
            sql.append("matched AS (SELECT DISTINCT ").append(TRACE_ID).append(" FROM ").append(table)
                    .append(" WHERE ").append(String.join(" AND ", matchWhere)).append("), ");
            spanWhere.add(TRACE_ID + " IN (SELECT " + TRACE_ID + " FROM matched)");
        }
        sql.append("spans AS (").append(distinctSpans(table, spanWhere,
                "any_value(" + PARENT_SPAN_ID + ") AS " + PARENT_SPAN_ID,
                "any_value(" + SERVICE_NAME + ") AS " + SERVICE_NAME,
                "any_value(" + NAME + ") AS " + NAME,
                "any_value(" + START_TIME_UNIX_NANO + ") AS start_ns",
                "any_value(" + START_TIME_UNIX_NANO + " + " + DURATION_NS + ") AS end_ns",
                "any_value(" + STATUS_CODE + ") AS " + STATUS_CODE)).append("), ");
        String rootOnly = " FILTER (WHERE " + PARENT_SPAN_ID + " IS NULL)";
        sql.append("traces AS (SELECT lower(hex(").append(TRACE_ID).append(")) AS ").append(TRACE_HEX)
                .append(", min(start_ns) AS ").append(START_TIME_UNIX_NANO)
                .append(", max(end_ns) - min(start_ns) AS ").append(DURATION_NS)
                .append(", count(*) AS ").append(SPAN_COUNT)
                .append(", count(*) FILTER (WHERE ").append(STATUS_CODE).append(" = ").append(TraceFilter.STATUS_ERROR).append(") AS ").append(ERROR_COUNT)
                .append(", list(DISTINCT ").append(SERVICE_NAME).append(" ORDER BY ").append(SERVICE_NAME).append(") AS ").append(SERVICE_NAMES)
                .append(", arg_min(").append(SERVICE_NAME).append(", start_ns)").append(rootOnly).append(" AS root_service")
                .append(", arg_min(").append(NAME).append(", start_ns)").append(rootOnly).append(" AS root_name")
                .append(", arg_min(").append(SERVICE_NAME).append(", start_ns) AS first_service")
                .append(", arg_min(").append(NAME).append(", start_ns) AS first_name")
                .append(" FROM spans GROUP BY ").append(TRACE_ID).append(") ");
        sql.append("SELECT ").append(TRACE_HEX).append(", ").append(START_TIME_UNIX_NANO).append(", ").append(DURATION_NS)
                .append(", ").append(SPAN_COUNT).append(", ").append(ERROR_COUNT).append(", ").append(SERVICE_NAMES)
                .append(", coalesce(root_service, first_service) AS ").append(ROOT_SERVICE_NAME)
                .append(", coalesce(root_name, first_name) AS ").append(ROOT_SPAN_NAME)
                .append(", root_name IS NULL AS ").append(ROOT_MISSING)
                .append(" FROM traces");
        after.ifPresent(cursor -> sql.append(" WHERE ").append(START_TIME_UNIX_NANO).append(" < ").append(cursor.afterStartUnixNano())
                .append(" OR (").append(START_TIME_UNIX_NANO).append(" = ").append(cursor.afterStartUnixNano())
                .append(" AND ").append(TRACE_HEX).append(" < '").append(cursor.afterTraceId().hex()).append("')"));
        sql.append(" ORDER BY ").append(START_TIME_UNIX_NANO).append(" DESC, ").append(TRACE_HEX).append(" DESC")
                .append(" LIMIT ").append(search.limit() + 1);
        return sql.toString();
    }

    /** Distinct spans per service and span name, by service then span name. */
    public static String services(DatasetName dataset, TimeRange range) {
        return "WITH spans AS (" + distinctSpans(SqlText.table(dataset), inRange(range),
                "any_value(" + SERVICE_NAME + ") AS " + SERVICE_NAME, "any_value(" + NAME + ") AS " + NAME) + ") "
                + "SELECT " + SERVICE_NAME + ", " + NAME + " AS " + SPAN_NAME + ", count(*) AS " + SPAN_COUNT
                + " FROM spans GROUP BY " + SERVICE_NAME + ", " + NAME + " ORDER BY " + SERVICE_NAME + ", " + SPAN_NAME;
    }

    /**
     * Requests, errors and exact duration percentiles ({@code quantile_cont}) per service, span name if asked, and
     * bucket; buckets are multiples of the bucket length since the epoch.
     */
    public static String red(RedQuery query, TimeRange range) {
        List<String> where = new ArrayList<>(inRange(range));
        query.serviceName().ifPresent(service -> where.add(SERVICE_NAME + " = " + SqlText.string(service, "service_name")));
        long bucket = query.bucket().toNanos();
        String groups = SERVICE_NAME + (query.bySpanName() ? ", " + SPAN_NAME : "") + ", " + BUCKET_START;
        return "WITH spans AS (" + distinctSpans(SqlText.table(query.dataset()), where,
                "any_value(" + SERVICE_NAME + ") AS " + SERVICE_NAME, "any_value(" + NAME + ") AS " + NAME,
                "any_value(" + START_TIME_UNIX_NANO + ") AS start_ns", "any_value(" + DURATION_NS + ") AS " + DURATION_NS,
                "any_value(" + STATUS_CODE + ") AS " + STATUS_CODE) + ") "
                + "SELECT " + SERVICE_NAME + (query.bySpanName() ? ", " + NAME + " AS " + SPAN_NAME : "")
                + ", (start_ns // " + bucket + ") * " + bucket + " AS " + BUCKET_START
                + ", count(*) AS " + REQUESTS
                + ", count(*) FILTER (WHERE " + STATUS_CODE + " = " + TraceFilter.STATUS_ERROR + ") AS " + ERRORS
                + ", quantile_cont(" + DURATION_NS + ", 0.5) AS " + P50
                + ", quantile_cont(" + DURATION_NS + ", 0.95) AS " + P95
                + ", quantile_cont(" + DURATION_NS + ", 0.99) AS " + P99
                + " FROM spans GROUP BY " + groups + " ORDER BY " + groups;
    }

    /** The spans of a WHERE, each (trace id, span id) once, with {@code columns} (aggregates) beside the ids. */
    private static String distinctSpans(String table, List<String> where, String... columns) {
        return "SELECT " + TRACE_ID + ", " + SPAN_ID + ", " + String.join(", ", columns) + " FROM " + table
                + " WHERE " + String.join(" AND ", where) + " GROUP BY " + TRACE_ID + ", " + SPAN_ID;
    }

    /** The pruning bounds on {@code start_time}, then the exact range on {@code start_time_unix_nano}. */
    private static List<String> inRange(TimeRange range) {
        return List.of(
                START_TIME + " >= " + SqlText.timestamp(Math.floorDiv(range.startUnixNano(), 1_000L) - PRUNING_SLACK_MICROS),
                START_TIME + " <= " + SqlText.timestamp(Math.floorDiv(range.endUnixNano(), 1_000L) + PRUNING_SLACK_MICROS),
                START_TIME_UNIX_NANO + " >= " + range.startUnixNano(),
                START_TIME_UNIX_NANO + " < " + range.endUnixNano());
    }
}
