package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.traces.SpanSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/** One page of a trace search; the statement reads one summary more than the page, to know if another follows. */
public final class SearchTracesStatement implements TraceStatement<TracePage> {
    private final TraceSearch search;
    private final TimeRange range;
    private final Optional<SearchCursor> after;
    private final List<TraceSummary> summaries = new ArrayList<>();

    private SearchTracesStatement(TraceSearch search, TimeRange range, Optional<SearchCursor> after) {
        this.search = search;
        this.range = range;
        this.after = after;
    }

    /**
     * @param defaultRange the range of a first page that names none
     * @throws InvalidInputException for a cursor this server did not make for this search,
     *     or a range that is not the cursor's
     */
    public static SearchTracesStatement of(TraceSearch search, TimeRange defaultRange) {
        requireNonNull(search, "search is null");
        requireNonNull(defaultRange, "defaultRange is null");
        if (search.pageCursor().isEmpty()) {
            return new SearchTracesStatement(search, search.range().orElse(defaultRange), Optional.empty());
        }
        SearchCursor cursor = SearchCursor.decode(search.pageCursor().get(), search.fingerprint());
        if (search.range().isPresent() && !search.range().get().equals(cursor.range())) {
            throw new InvalidInputException("time_range",
                    "a next page searches the first page's range: send the same range, or none");
        }
        return new SearchTracesStatement(search, cursor.range(), Optional.of(cursor));
    }

    @Override
    public String sql() {
        return TraceSql.search(search, range, after);
    }

    @Override
    public long rowLimit() {
        return search.limit() + 1L;
    }

    @Override
    public void add(VectorSchemaRoot batch) {
        FieldVector ids = batch.getVector(TraceSql.TRACE_HEX);
        FieldVector starts = batch.getVector(SpanSchema.START_TIME_UNIX_NANO);
        FieldVector durations = batch.getVector(SpanSchema.DURATION_NS);
        FieldVector spans = batch.getVector(TraceSql.SPAN_COUNT);
        FieldVector errors = batch.getVector(TraceSql.ERROR_COUNT);
        FieldVector services = batch.getVector(TraceSql.SERVICE_NAMES);
        FieldVector rootServices = batch.getVector(TraceSql.ROOT_SERVICE_NAME);
        FieldVector rootNames = batch.getVector(TraceSql.ROOT_SPAN_NAME);
        FieldVector rootMissing = batch.getVector(TraceSql.ROOT_MISSING);
        for (int row = 0; row < batch.getRowCount(); row++) {
            List<String> names = new ArrayList<>();
            for (Object name : (List<?>) services.getObject(row)) {
                names.add(String.valueOf(name));
            }
            summaries.add(new TraceSummary(
                    new TraceId(String.valueOf(ids.getObject(row))),
                    String.valueOf(rootServices.getObject(row)),
                    String.valueOf(rootNames.getObject(row)),
                    (Boolean) rootMissing.getObject(row),
                    ((Number) starts.getObject(row)).longValue(),
                    ((Number) durations.getObject(row)).longValue(),
                    ((Number) spans.getObject(row)).longValue(),
                    ((Number) errors.getObject(row)).longValue(),
                    names));
        }
    }

    @Override
    public TracePage result(boolean truncated) {
        if (summaries.size() <= search.limit()) {
            return new TracePage(summaries, Optional.empty(), range);
        }
        List<TraceSummary> page = summaries.subList(0, search.limit());
        TraceSummary last = page.get(page.size() - 1);
        String next = new SearchCursor(range, last.startTimeUnixNano(), last.traceId()).encode(search.fingerprint());
        return new TracePage(page, Optional.of(next), range);
    }
}
