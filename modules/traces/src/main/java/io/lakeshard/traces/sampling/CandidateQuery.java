package io.lakeshard.traces.sampling;

import static io.lakeshard.traces.SpanSchema.DURATION_NS;
import static io.lakeshard.traces.SpanSchema.SPAN_ID;
import static io.lakeshard.traces.SpanSchema.START_TIME;
import static io.lakeshard.traces.SpanSchema.START_TIME_UNIX_NANO;
import static io.lakeshard.traces.SpanSchema.STATUS_CODE;
import static io.lakeshard.traces.SpanSchema.STRING_VALUE;
import static io.lakeshard.traces.SpanSchema.TRACE_ID;
import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.traces.query.SqlText;
import io.lakeshard.traces.query.TimeRange;
import io.lakeshard.traces.query.TraceFilter;
import io.lakeshard.traces.query.TraceId;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepAttribute;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The traces of a span table that are ready for a sampler's decision at {@code now}, one row per trace with what the
 * policies ask: an aggregate over one bounded window of spans, never the whole table, and no span leaves DuckDB.
 *
 * <p><b>The window.</b> The query reads the spans whose {@code start_time_unix_nano} is in {@code [from, until)}, and
 * nothing else: its WHERE bounds {@code _ls_partition_date} (a span table's partition is the UTC day of the start
 * time) and {@code start_time} (the sort column, whose file and row-group statistics are tight), so the query layer
 * hands DuckDB only the files of those days that hold such start times. A candidate is a trace with a span in the
 * window, summarised over its spans in the window only. So the window must hold every span of the traces still
 * undecided; the owner that ticks this query keeps {@code from} at most {@code maxTraceDuration + inactivity} behind
 * the {@code now} of its last completed tick (every trace whose first span started before {@code now −
 * maxTraceDuration} was ready then and is decided; the extra inactivity covers spans exported late and clocks
 * behind), and {@code until} ahead of {@code now} by what clocks may run ahead. A span that starts before
 * {@code from} is not seen: if its trace is decided it is a late span, else its trace is summarised without it.
 *
 * <p><b>Ready.</b> A trace is ready when its latest span arrived before {@code now − inactivity}, or its first span
 * (in the window) started before {@code now − maxTraceDuration}, even while spans still arrive. Arrival is
 * {@code _ls_ingest_time}, when the span was written to the table: "no span arrived for that long" on the cluster's
 * own clocks, where a span's end time is the exporter's clock, which may lag by more than the inactivity, and a span
 * ends before it is exported. A span written but not yet committed when the query runs is unseen; commits follow
 * writes within the group-commit delay, far below any inactivity.
 *
 * <p><b>Decided traces.</b> The window overlaps the last tick's, so a trace decided then is in it again, as is every
 * decided trace that later spans arrive for. With {@link DecidedTraces} the query leaves out the trace ids of a
 * decisions dataset (an anti-join, bounded by when the decisions were written); without it, the owner tells them
 * apart itself ({@link Candidate#lastArrival()} after its decision means late spans). Late spans of a decided trace
 * follow that decision: finding them (spans written since the last tick whose trace is decided, by the trace id's
 * bloom filters) is the owner's, not this query's.
 *
 * <p>A span exported twice (a retried export) counts once: spans are counted by distinct span id, and the other
 * aggregates do not change with a copy but for the arrival, which a later copy moves (something did arrive). Rows
 * come ordered by first start, then trace id.
 */
public final class CandidateQuery {
    /** Result columns. */
    static final String SPAN_COUNT = "span_count";
    static final String HAS_ERROR = "has_error";
    static final String MAX_SPAN_DURATION = "max_span_duration_ns";
    static final String TRACE_DURATION = "trace_duration_ns";
    static final String FIRST_START = "first_start_unix_nano";
    static final String LAST_ARRIVAL = "last_arrival_unix_micros";
    /** Followed by the policy's position in the sampler: {@code attribute_3}. */
    static final String ATTRIBUTE_PREFIX = "attribute_";

    /** Lakeshard's system columns (docs/architecture.md, Tables), which every dataset has. */
    static final String INGEST_TIME = "_ls_ingest_time";
    private static final String PARTITION_DATE = "_ls_partition_date";
    /** Why a millisecond: see {@code TraceSql}; file statistics are millisecond-wide. */
    private static final long PRUNING_SLACK_MICROS = 1_000;
    private static final HexFormat HEX = HexFormat.of();

    private final SamplerDefinition sampler;
    private final DatasetName spans;
    private final TimeRange window;
    private final Instant now;
    private final Optional<DecidedTraces> decided;

    private CandidateQuery(SamplerDefinition sampler, DatasetName spans, TimeRange window, Instant now, Optional<DecidedTraces> decided) {
        this.sampler = sampler;
        this.spans = spans;
        this.window = window;
        this.now = now;
        this.decided = decided;
    }

    /**
     * The query of one tick.
     *
     * @param spans the sampler's trace dataset
     * @param window the start times of the spans read
     * @param now the time readiness is judged at
     * @param decided trace ids to leave out
     */
    public static CandidateQuery of(SamplerDefinition sampler, DatasetName spans, TimeRange window, Instant now,
            Optional<DecidedTraces> decided) {
        requireNonNull(sampler, "sampler is null");
        requireNonNull(spans, "spans is null");
        requireNonNull(window, "window is null");
        requireNonNull(now, "now is null");
        requireNonNull(decided, "decided is null");
        return new CandidateQuery(sampler, spans, window, now, decided);
    }

    public String sql() {
        List<String> columns = new ArrayList<>(List.of(
                TRACE_ID,
                "count(DISTINCT " + SPAN_ID + ") AS " + SPAN_COUNT,
                "bool_or(" + STATUS_CODE + " = " + TraceFilter.STATUS_ERROR + ") AS " + HAS_ERROR,
                "max(" + DURATION_NS + ") AS " + MAX_SPAN_DURATION,
                "max(" + START_TIME_UNIX_NANO + " + " + DURATION_NS + ") - min(" + START_TIME_UNIX_NANO + ") AS " + TRACE_DURATION,
                "min(" + START_TIME_UNIX_NANO + ") AS " + FIRST_START,
                "epoch_us(max(" + INGEST_TIME + ")) AS " + LAST_ARRIVAL));
        List<String> attributes = new ArrayList<>();
        for (int i = 0; i < sampler.policies().size(); i++) {
            if (sampler.policies().get(i) instanceof KeepAttribute attribute) {
                // A span without the key, or with a value of another type, reads NULL, which bool_or skips.
                columns.add("coalesce(bool_or(" + attribute.scope().column() + "[" + SqlText.string(attribute.key(), "key") + "]."
                        + STRING_VALUE + " = " + SqlText.string(attribute.value(), "value") + "), false) AS " + ATTRIBUTE_PREFIX + i);
                attributes.add(ATTRIBUTE_PREFIX + i);
            }
        }
        List<String> inWindow = inWindow(window, "");

        long nowNanos = TimeRange.nanos(now);
        // An arrival in whole microseconds is before now − inactivity exactly when it is before the cutoff rounded up.
        long quietBeforeMicros = -Math.floorDiv(-(nowNanos - sampler.inactivity().toNanos()), 1_000L);
        String ready = "(" + LAST_ARRIVAL + " < " + quietBeforeMicros
                + " OR " + FIRST_START + " < " + (nowNanos - sampler.maxTraceDuration().toNanos()) + ")";
        List<String> spanWhere = new ArrayList<>(inWindow);
        // The decided traces' spans leave before the aggregate (an anti-join on the spans), which then sums only the
        // undecided ones: in a steady state most of the window's spans are of traces decided already.
        decided.ifPresent(d -> spanWhere.add("NOT EXISTS (SELECT 1 FROM " + SqlText.table(d.dataset()) + " d WHERE d." + TRACE_ID
                + " = s." + TRACE_ID + " AND d." + INGEST_TIME + " >= "
                + SqlText.timestamp(Math.floorDiv(TimeRange.nanos(d.writtenSince()), 1_000L)) + ")"));

        List<String> output = new ArrayList<>(List.of(TRACE_ID, SPAN_COUNT, HAS_ERROR, MAX_SPAN_DURATION, TRACE_DURATION,
                FIRST_START, LAST_ARRIVAL));
        output.addAll(attributes);
        return "WITH traces AS (SELECT " + String.join(", ", columns) + " FROM " + SqlText.table(spans) + " s"
                + " WHERE " + String.join(" AND ", spanWhere) + " GROUP BY " + TRACE_ID + ") "
                + "SELECT " + String.join(", ", output) + " FROM traces WHERE " + ready
                + " ORDER BY " + FIRST_START + ", " + TRACE_ID;
    }

    /**
     * The conditions that hold a span query to the spans starting in {@code window}, in terms the query layer prunes
     * files by: the day partition, the sorted {@code start_time}, then the exact nanoseconds.
     *
     * @param alias the span table's alias and a dot, or empty
     */
    static List<String> inWindow(TimeRange window, String alias) {
        long fromMicros = Math.floorDiv(window.startUnixNano(), 1_000L) - PRUNING_SLACK_MICROS;
        long untilMicros = Math.floorDiv(window.endUnixNano(), 1_000L) + PRUNING_SLACK_MICROS;
        return List.of(
                alias + PARTITION_DATE + " >= " + SqlText.date(fromMicros),
                alias + PARTITION_DATE + " <= " + SqlText.date(untilMicros),
                alias + START_TIME + " >= " + SqlText.timestamp(fromMicros),
                alias + START_TIME + " <= " + SqlText.timestamp(untilMicros),
                alias + START_TIME_UNIX_NANO + " >= " + window.startUnixNano(),
                alias + START_TIME_UNIX_NANO + " < " + window.endUnixNano());
    }

    /** The candidates of one result batch, in its order; the batch is only read during the call. */
    public List<Candidate> candidates(VectorSchemaRoot batch) {
        FieldVector ids = batch.getVector(TRACE_ID);
        FieldVector counts = batch.getVector(SPAN_COUNT);
        FieldVector errors = batch.getVector(HAS_ERROR);
        FieldVector maxSpans = batch.getVector(MAX_SPAN_DURATION);
        FieldVector durations = batch.getVector(TRACE_DURATION);
        FieldVector starts = batch.getVector(FIRST_START);
        FieldVector arrivals = batch.getVector(LAST_ARRIVAL);
        List<Integer> attributePolicies = new ArrayList<>();
        List<FieldVector> attributeVectors = new ArrayList<>();
        for (int i = 0; i < sampler.policies().size(); i++) {
            if (sampler.isAttributePolicy(i)) {
                attributePolicies.add(i);
                attributeVectors.add(batch.getVector(ATTRIBUTE_PREFIX + i));
            }
        }
        List<Candidate> candidates = new ArrayList<>(batch.getRowCount());
        for (int row = 0; row < batch.getRowCount(); row++) {
            Set<Integer> matched = new HashSet<>();
            for (int a = 0; a < attributePolicies.size(); a++) {
                if (Boolean.TRUE.equals(attributeVectors.get(a).getObject(row))) {
                    matched.add(attributePolicies.get(a));
                }
            }
            long micros = longValue(arrivals, row);
            candidates.add(new Candidate(
                    new TraceId(HEX.formatHex((byte[]) ids.getObject(row))),
                    longValue(counts, row),
                    Boolean.TRUE.equals(errors.getObject(row)),
                    Duration.ofNanos(longValue(maxSpans, row)),
                    Duration.ofNanos(longValue(durations, row)),
                    TimeRange.instant(longValue(starts, row)),
                    Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L),
                    matched));
        }
        return candidates;
    }

    private static long longValue(FieldVector vector, int row) {
        return ((Number) vector.getObject(row)).longValue();
    }
}
