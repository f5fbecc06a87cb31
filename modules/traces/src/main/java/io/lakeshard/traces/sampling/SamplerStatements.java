package io.lakeshard.traces.sampling;

import static io.lakeshard.traces.SpanSchema.SPAN_ID;
import static io.lakeshard.traces.SpanSchema.START_TIME_UNIX_NANO;
import static io.lakeshard.traces.SpanSchema.TRACE_ID;
import static io.lakeshard.traces.sampling.CandidateQuery.INGEST_TIME;
import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.traces.otlp.ArrowToOtlp;
import io.lakeshard.traces.query.SqlText;
import io.lakeshard.traces.query.TimeRange;
import io.lakeshard.traces.query.TraceId;
import io.lakeshard.traces.query.TraceStatement;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The statements a sampler's owner and readers run, each as the tenant's query: the tick's candidates and late
 * spans, a tick's rows looked up after a crash, decisions after a cursor, and the spans a page of kept rows delivers.
 */
public final class SamplerStatements {
    private static final HexFormat HEX = HexFormat.of();

    private SamplerStatements() {}

    /**
     * A trace decided and kept earlier, with spans that arrived since: they follow the decision.
     *
     * @param firstStartUnixNano when the earliest of those spans started
     */
    public record LateTrace(TraceId traceId, String policy, long spanCount, long firstStartUnixNano) {
        public LateTrace {
            requireNonNull(traceId, "traceId is null");
            requireNonNull(policy, "policy is null");
        }
    }

    /** A page of decisions: the rows, and whether more rows matched than the page holds. */
    public record DecisionPage(List<DecisionRow> rows, boolean more) {
        public DecisionPage {
            rows = List.copyOf(requireNonNull(rows, "rows is null"));
        }
    }

    /** The spans a page of kept rows delivers, as one OTLP message. */
    public record KeptSpans(TracesData spans, long spanCount) {
        public KeptSpans {
            requireNonNull(spans, "spans is null");
        }
    }

    /** The candidate query's traces, at most {@code limit} of them, in its order. */
    public static TraceStatement<List<Candidate>> candidates(CandidateQuery query, long limit) {
        requireNonNull(query, "query is null");
        return new Collecting<>(query.sql(), limit) {
            private final List<Candidate> candidates = new ArrayList<>();

            @Override
            public void add(VectorSchemaRoot batch) {
                candidates.addAll(query.candidates(batch));
            }

            @Override
            public List<Candidate> result(boolean truncated) {
                return candidates;
            }
        };
    }

    /**
     * The kept traces with spans that arrived in {@code [window.lateFrom, window.now)}: kept rows (decisions and late
     * rows) written since {@code window.decidedSince}, joined to the spans written since the last tick, so both sides
     * read recent files only. A late span is found when it started since {@code window.decidedSince}, the oldest
     * decision remembered, even before the window (an exporter that retried for a while, a span held back in a
     * collector): a span starting before the window is no other query's — neither a candidate nor any earlier row's.
     * The bound keeps the export of its row as narrow as the memory of decisions. The join takes the late rows too,
     * as the candidate query's anti-join does, so a trace remembered by its late rows alone still gets its spans.
     */
    public static TraceStatement<List<LateTrace>> lateTraces(DatasetName spans, DatasetName decisions, TickWindow window, long limit) {
        requireNonNull(spans, "spans is null");
        requireNonNull(decisions, "decisions is null");
        requireNonNull(window, "window is null");
        List<String> where = new ArrayList<>(CandidateQuery.inWindow(
                new TimeRange(TimeRange.nanos(window.decidedSince()), window.spans().endUnixNano()), "s."));
        where.add("s." + INGEST_TIME + " >= " + SqlText.timestamp(TickWindow.micros(window.lateFrom())));
        where.add("s." + INGEST_TIME + " < " + SqlText.timestamp(window.arrivedUntilMicros()));
        String sql = "WITH kept AS (SELECT " + TRACE_ID + ", any_value(" + DecisionTable.POLICY + ") AS " + DecisionTable.POLICY
                + " FROM " + SqlText.table(decisions) + " WHERE " + DecisionTable.KEEP
                + " AND " + INGEST_TIME + " >= " + SqlText.timestamp(TickWindow.micros(window.decidedSince()))
                + " GROUP BY " + TRACE_ID + ") "
                + "SELECT s." + TRACE_ID + " AS " + TRACE_ID + ", k." + DecisionTable.POLICY + " AS " + DecisionTable.POLICY
                + ", count(DISTINCT s." + SPAN_ID + ") AS span_count, min(s." + START_TIME_UNIX_NANO + ") AS first_start FROM "
                + SqlText.table(spans) + " s JOIN kept k ON s." + TRACE_ID + " = k." + TRACE_ID
                + " WHERE " + String.join(" AND ", where) + " GROUP BY s." + TRACE_ID + ", k." + DecisionTable.POLICY
                + " ORDER BY s." + TRACE_ID;
        return new Collecting<>(sql, limit) {
            private final List<LateTrace> traces = new ArrayList<>();

            @Override
            public void add(VectorSchemaRoot batch) {
                for (int row = 0; row < batch.getRowCount(); row++) {
                    traces.add(new LateTrace(new TraceId(HEX.formatHex((byte[]) batch.getVector(TRACE_ID).getObject(row))),
                            batch.getVector(DecisionTable.POLICY).getObject(row).toString(),
                            ((Number) batch.getVector("span_count").getObject(row)).longValue(),
                            ((Number) batch.getVector("first_start").getObject(row)).longValue()));
                }
            }

            @Override
            public List<LateTrace> result(boolean truncated) {
                return traces;
            }
        };
    }

    /** What one tick wrote: its rows, the decisions among them, the kept ones by policy, and the late rows. */
    public record TickRows(long rows, long decided, long late, Map<String, Long> keptByPolicy) {
        public TickRows {
            keptByPolicy = Map.copyOf(requireNonNull(keptByPolicy, "keptByPolicy is null"));
        }

        public long kept() {
            return keptByPolicy.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** What tick {@code tick} wrote: a tick is one write, so all of its rows or none. */
    public static TraceStatement<TickRows> tickRows(DatasetName decisions, long tick) {
        requireNonNull(decisions, "decisions is null");
        String sql = "SELECT " + DecisionTable.LATE + ", " + DecisionTable.KEEP + ", " + DecisionTable.POLICY + ", count(*) AS row_count FROM "
                + SqlText.table(decisions) + " WHERE " + DecisionTable.TICK + " = " + tick + " GROUP BY ALL";
        return new Collecting<>(sql, Long.MAX_VALUE) {
            private long rows;
            private long decided;
            private long late;
            private final Map<String, Long> keptByPolicy = new HashMap<>();

            @Override
            public void add(VectorSchemaRoot batch) {
                for (int row = 0; row < batch.getRowCount(); row++) {
                    long count = ((Number) batch.getVector("row_count").getObject(row)).longValue();
                    rows += count;
                    if (Boolean.TRUE.equals(batch.getVector(DecisionTable.LATE).getObject(row))) {
                        late += count;
                        continue;
                    }
                    decided += count;
                    if (Boolean.TRUE.equals(batch.getVector(DecisionTable.KEEP).getObject(row))) {
                        keptByPolicy.merge(batch.getVector(DecisionTable.POLICY).getObject(row).toString(), count, Long::sum);
                    }
                }
            }

            @Override
            public TickRows result(boolean truncated) {
                return new TickRows(rows, decided, late, keptByPolicy);
            }
        };
    }

    /**
     * Rows with a sequence in {@code (after, before)}, in sequence order, at most {@code limit}.
     *
     * @param decisionsOnly leave out late rows (a client's decision stream)
     * @param keptOnly leave out dropped traces (what an exporter delivers)
     */
    public static TraceStatement<DecisionPage> decisions(DatasetName decisions, long after, long before, boolean decisionsOnly,
            boolean keptOnly, int limit) {
        requireNonNull(decisions, "decisions is null");
        List<String> where = new ArrayList<>(List.of(DecisionTable.SEQUENCE + " > " + after, DecisionTable.SEQUENCE + " < " + before));
        if (decisionsOnly) {
            where.add("NOT " + DecisionTable.LATE);
        }
        if (keptOnly) {
            where.add(DecisionTable.KEEP);
        }
        String sql = "SELECT " + DecisionTable.columns() + " FROM " + SqlText.table(decisions) + " WHERE " + String.join(" AND ", where)
                + " ORDER BY " + DecisionTable.SEQUENCE + " LIMIT " + (limit + 1L);
        return new Collecting<>(sql, limit) {
            private final List<DecisionRow> rows = new ArrayList<>();

            @Override
            public void add(VectorSchemaRoot batch) {
                rows.addAll(DecisionTable.rows(batch));
            }

            @Override
            public DecisionPage result(boolean truncated) {
                return new DecisionPage(rows, truncated);
            }
        };
    }

    /**
     * The spans the kept rows deliver, read from the span table: each row's trace's spans that started in its window
     * (a late row's reaches back to its earliest late span) and arrived in its {@code [arrivedFrom, arrivedUntil)},
     * so that no span is delivered by two rows. A span a retried export stored twice is sent twice, as it was
     * received; OTLP receivers take spans at least once.
     */
    public static TraceStatement<KeptSpans> keptSpans(DatasetName spans, List<DecisionRow> rows) {
        requireNonNull(spans, "spans is null");
        List<DecisionRow> kept = rows.stream().filter(DecisionRow::keep).toList();
        if (kept.isEmpty()) {
            throw new IllegalArgumentException("no kept rows to deliver spans of");
        }
        Map<String, List<DecisionRow>> byTrace = new HashMap<>();
        long from = Long.MAX_VALUE;
        long until = Long.MIN_VALUE;
        long arrivedUntil = Long.MIN_VALUE;
        for (DecisionRow row : kept) {
            byTrace.computeIfAbsent(row.traceId().hex(), id -> new ArrayList<>()).add(row);
            from = Math.min(from, row.windowFromUnixNano());
            until = Math.max(until, row.windowUntilUnixNano());
            arrivedUntil = Math.max(arrivedUntil, row.arrivedUntilMicros());
        }
        List<String> where = new ArrayList<>(CandidateQuery.inWindow(new TimeRange(from, until), ""));
        where.add(INGEST_TIME + " < " + SqlText.timestamp(arrivedUntil));
        where.add(TRACE_ID + " IN (" + String.join(", ", byTrace.keySet().stream().sorted().map(hex -> new TraceId(hex).sqlLiteral()).toList())
                + ")");
        String sql = "SELECT *, epoch_us(" + INGEST_TIME + ") AS arrived_micros FROM " + SqlText.table(spans) + " WHERE "
                + String.join(" AND ", where) + " ORDER BY " + TRACE_ID + ", " + START_TIME_UNIX_NANO;
        return new Collecting<>(sql, Long.MAX_VALUE) {
            private final ArrowToOtlp otlp = new ArrowToOtlp();

            @Override
            public void add(VectorSchemaRoot batch) {
                FieldVector ids = batch.getVector(TRACE_ID);
                FieldVector arrivals = batch.getVector("arrived_micros");
                FieldVector starts = batch.getVector(START_TIME_UNIX_NANO);
                otlp.add(batch, row -> {
                    List<DecisionRow> rowsOfTrace = byTrace.get(HEX.formatHex((byte[]) ids.getObject(row)));
                    long arrived = ((Number) arrivals.getObject(row)).longValue();
                    long start = ((Number) starts.getObject(row)).longValue();
                    return rowsOfTrace != null && rowsOfTrace.stream().anyMatch(r -> start >= r.windowFromUnixNano()
                            && start < r.windowUntilUnixNano() && arrived >= r.arrivedFromMicros() && arrived < r.arrivedUntilMicros());
                });
            }

            @Override
            public KeptSpans result(boolean truncated) {
                return new KeptSpans(otlp.build(), otlp.spanCount());
            }
        };
    }

    /** A statement that collects its batches into an answer. */
    private abstract static class Collecting<T> implements TraceStatement<T> {
        private final String sql;
        private final long rowLimit;

        Collecting(String sql, long rowLimit) {
            this.sql = sql;
            this.rowLimit = rowLimit;
        }

        @Override
        public String sql() {
            return sql;
        }

        @Override
        public long rowLimit() {
            return rowLimit;
        }

        @Override
        public abstract void add(VectorSchemaRoot batch);

        @Override
        public abstract T result(boolean truncated);
    }
}
