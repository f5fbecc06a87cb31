package io.lakeshard.traces.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.traces.SpanSchema;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class TraceSqlTest {
    private static final TimeRange RANGE = new TimeRange(1_700_000_000_000_000_500L, 1_700_000_060_000_000_000L);

    @Test
    void traceByIdIsABlobConstantAndOptionalPruningBounds() {
        TraceId id = TraceId.parse(" 0AF7651916CD43DD8448EB211C80319C ", "trace_id");
        assertEquals("0af7651916cd43dd8448eb211c80319c", id.hex());
        assertEquals("SELECT * FROM \"otel\".\"traces\".\"spans\" WHERE trace_id = "
                        + "'\\x0a\\xf7\\x65\\x19\\x16\\xcd\\x43\\xdd\\x84\\x48\\xeb\\x21\\x1c\\x80\\x31\\x9c'::BLOB"
                        + " QUALIFY row_number() OVER (PARTITION BY span_id ORDER BY start_time_unix_nano) = 1"
                        + " ORDER BY start_time_unix_nano, span_id",
                TraceSql.trace(new TraceLookup(SpanSchema.DEFAULT_DATASET, id, Optional.empty(), 10, false)));
        String hinted = TraceSql.trace(new TraceLookup(SpanSchema.DEFAULT_DATASET, id, Optional.of(RANGE), 10, false));
        assertTrue(hinted.contains(" AND start_time >= TIMESTAMPTZ '2023-11-14T22:13:19.999000Z'"
                + " AND start_time <= TIMESTAMPTZ '2023-11-14T22:14:20.001000Z'"
                + " AND start_time_unix_nano >= 1700000000000000500 AND start_time_unix_nano < 1700000060000000000"), hinted);
    }

    @Test
    void malformedTraceIdsNameTheField() {
        for (String bad : List.of("", "xyz", "0af7651916cd43dd8448eb211c80319", "0af7651916cd43dd8448eb211c80319c0",
                "'; DROP TABLE x; --0000000000000000", "00000000000000000000000000000000")) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> TraceId.parse(bad, "trace_id"), bad);
            assertEquals("trace_id", e.field());
        }
    }

    @Test
    void callerStringsAreLiterals() {
        TraceFilter filter = new TraceFilter(Optional.of("o'brien"), Optional.of("GET /x"), true, OptionalLong.of(5),
                OptionalLong.of(9), List.of(
                        new AttributeFilter(AttributeFilter.Scope.SPAN, "http.route'])--", new AttributeValue.StringValue("/a'b")),
                        new AttributeFilter(AttributeFilter.Scope.RESOURCE, "k8s.pod", new AttributeValue.IntValue(-3)),
                        new AttributeFilter(AttributeFilter.Scope.SPAN, "ratio", new AttributeValue.DoubleValue(1.5e10)),
                        new AttributeFilter(AttributeFilter.Scope.SPAN, "cached", new AttributeValue.BoolValue(true))),
                List.of(new AttributeRange("http.status_code", OptionalDouble.of(500), OptionalDouble.empty())));
        assertEquals(List.of(
                "service_name = 'o''brien'",
                "name = 'GET /x'",
                "status_code = 2",
                "duration_ns >= 5",
                "duration_ns <= 9",
                "attributes['http.route''])--'].string_value = '/a''b'",
                "resource_attributes['k8s.pod'].int_value = -3",
                "attributes['ratio'].double_value = 1.5E10",
                "attributes['cached'].bool_value = true",
                "coalesce(attributes['http.status_code'].int_value::DOUBLE, attributes['http.status_code'].double_value) >= 500.0"),
                filter.sql());
        assertThrows(InvalidInputException.class, () -> new TraceFilter(Optional.of("a\0b"), Optional.empty(), false,
                OptionalLong.empty(), OptionalLong.empty(), List.of(), List.of()).sql());
    }

    @Test
    void searchFindsMatchingTracesThenSummarisesAllTheirSpansAfterTheCursor() {
        TraceSearch search = new TraceSearch(DatasetName.parse("obs.traces.spans"), Optional.of(RANGE),
                new TraceFilter(Optional.of("cart"), Optional.empty(), false, OptionalLong.empty(), OptionalLong.empty(), List.of(), List.of()),
                20, Optional.empty());
        SearchCursor cursor = new SearchCursor(RANGE, 1_700_000_001_000_000_000L, TraceId.parse("0af7651916cd43dd8448eb211c80319c", "t"));
        String sql = TraceSql.search(search, RANGE, Optional.of(cursor));
        assertTrue(sql.startsWith("WITH matched AS (SELECT DISTINCT trace_id FROM \"obs\".\"traces\".\"spans\" WHERE start_time >= "), sql);
        assertTrue(sql.contains("AND service_name = 'cart'), spans AS (SELECT trace_id, span_id, any_value(parent_span_id)"), sql);
        assertTrue(sql.contains("AND trace_id IN (SELECT trace_id FROM matched) GROUP BY trace_id, span_id"), sql);
        assertTrue(sql.endsWith(" FROM traces WHERE start_time_unix_nano < 1700000001000000000 OR (start_time_unix_nano = "
                + "1700000001000000000 AND trace_hex < '0af7651916cd43dd8448eb211c80319c')"
                + " ORDER BY start_time_unix_nano DESC, trace_hex DESC LIMIT 21"), sql);
        String everything = TraceSql.search(new TraceSearch(search.dataset(), Optional.empty(), TraceFilter.none(), 5, Optional.empty()),
                RANGE, Optional.empty());
        assertTrue(everything.startsWith("WITH spans AS ("), "no filter, no first pass: " + everything);
    }

    @Test
    void redBucketsAreEpochMultiples() {
        String sql = TraceSql.red(new RedQuery(SpanSchema.DEFAULT_DATASET, Optional.empty(), Duration.ofSeconds(30), Optional.of("cart"), true),
                RANGE);
        assertTrue(sql.contains("AND service_name = 'cart' GROUP BY trace_id, span_id"), sql);
        assertTrue(sql.contains(", (start_ns // 30000000000) * 30000000000 AS bucket_start_unix_nano"), sql);
        assertTrue(sql.endsWith("GROUP BY service_name, span_name, bucket_start_unix_nano ORDER BY service_name, span_name, bucket_start_unix_nano"), sql);
        RedQuery tooFine = new RedQuery(SpanSchema.DEFAULT_DATASET, Optional.empty(), Duration.ofSeconds(1), Optional.empty(), false);
        assertThrows(InvalidInputException.class, () -> RedMetricsStatement.of(tooFine, TimeRange.before(RANGE.end(), Duration.ofDays(1))));
    }

    @Test
    void aSpanPageReadsInKeyOrderFromTheCursorWithItsFiltersAsLiterals() {
        SpanRead read = new SpanRead(SpanSchema.DEFAULT_DATASET, RANGE, List.of("cart", "o'brien"),
                List.of(TraceId.parse("0af7651916cd43dd8448eb211c80319c", "trace_ids[0]")), 100);
        String first = TraceSql.spans(read, Optional.empty());
        assertEquals("SELECT * FROM \"otel\".\"traces\".\"spans\" WHERE start_time >= TIMESTAMPTZ '2023-11-14T22:13:19.999000Z'"
                + " AND start_time <= TIMESTAMPTZ '2023-11-14T22:14:20.001000Z'"
                + " AND start_time_unix_nano >= 1700000000000000500 AND start_time_unix_nano < 1700000060000000000"
                + " AND service_name IN ('cart', 'o''brien')"
                + " AND trace_id IN ('\\x0a\\xf7\\x65\\x19\\x16\\xcd\\x43\\xdd\\x84\\x48\\xeb\\x21\\x1c\\x80\\x31\\x9c'::BLOB)"
                + " ORDER BY start_time_unix_nano, trace_id, span_id LIMIT 101", first);

        SpanCursor cursor = new SpanCursor(1_700_000_030_000_000_007L, ByteString.copyFrom(new byte[] {1, (byte) 0xff}),
                ByteString.copyFrom(new byte[] {0x0a}));
        String next = TraceSql.spans(new SpanRead(SpanSchema.DEFAULT_DATASET, RANGE, List.of(), List.of(), 100), Optional.of(cursor));
        assertTrue(next.contains("WHERE start_time >= TIMESTAMPTZ '2023-11-14T22:13:49.999000Z'"), "pruned from the cursor on: " + next);
        assertTrue(next.contains(" AND start_time_unix_nano >= 1700000030000000007 AND start_time_unix_nano < 1700000060000000000"), next);
        assertTrue(next.endsWith(" AND (start_time_unix_nano > 1700000030000000007 OR (start_time_unix_nano = 1700000030000000007"
                + " AND (trace_id > '\\x01\\xff'::BLOB OR (trace_id = '\\x01\\xff'::BLOB AND span_id > '\\x0a'::BLOB))))"
                + " ORDER BY start_time_unix_nano, trace_id, span_id LIMIT 101"), next);
    }

    @Test
    void aSpanReadNamesTheFieldItCannotTake() {
        assertEquals("page_spans", assertThrows(InvalidInputException.class,
                () -> new SpanRead(SpanSchema.DEFAULT_DATASET, RANGE, List.of(), List.of(), 10_001)).field());
        assertEquals("service_names[1]", assertThrows(InvalidInputException.class,
                () -> new SpanRead(SpanSchema.DEFAULT_DATASET, RANGE, List.of("cart", ""), List.of(), 10)).field());
        SpanRead nul = new SpanRead(SpanSchema.DEFAULT_DATASET, RANGE, List.of("a\0"), List.of(), 10);
        assertEquals("service_names[0]", assertThrows(InvalidInputException.class, () -> TraceSql.spans(nul, Optional.empty())).field());
    }
}
