package io.lakeshard.traces.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.traces.SpanSchema;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class SearchCursorTest {
    private static final TimeRange RANGE = new TimeRange(1_000, 2_000);

    private static TraceSearch search(Optional<String> service, Optional<String> cursor, Optional<TimeRange> range) {
        return new TraceSearch(SpanSchema.DEFAULT_DATASET, range, new TraceFilter(service, Optional.empty(), false, OptionalLong.empty(),
                OptionalLong.empty(), List.of(), List.of()), 10, cursor);
    }

    @Test
    void aCursorCarriesTheFirstPagesRangeAndPosition() {
        SearchCursor cursor = new SearchCursor(RANGE, 1_500, TraceId.parse("0af7651916cd43dd8448eb211c80319c", "t"));
        String text = cursor.encode(search(Optional.of("cart"), Optional.empty(), Optional.empty()).fingerprint());
        assertTrue(text.matches("[A-Za-z0-9_-]+"), "opaque and URL-safe: " + text);
        SearchTracesStatement next = SearchTracesStatement.of(search(Optional.of("cart"), Optional.of(text), Optional.empty()),
                new TimeRange(5_000, 6_000));
        assertTrue(next.sql().contains("start_time_unix_nano >= 1000 AND start_time_unix_nano < 2000"), "the cursor's range: " + next.sql());
        assertTrue(next.sql().contains("start_time_unix_nano < 1500 OR"), next.sql());
        assertEquals(cursor, SearchCursor.decode(text, search(Optional.of("cart"), Optional.empty(), Optional.empty()).fingerprint()));
    }

    @Test
    void aCursorOfAnotherSearchOrRangeOrNoCursorIsRefused() {
        String text = new SearchCursor(RANGE, 1_500, TraceId.parse("0af7651916cd43dd8448eb211c80319c", "t"))
                .encode(search(Optional.of("cart"), Optional.empty(), Optional.empty()).fingerprint());
        for (TraceSearch bad : List.of(
                search(Optional.of("payments"), Optional.of(text), Optional.empty()),
                search(Optional.of("cart"), Optional.of(text), Optional.of(new TimeRange(1_000, 3_000))),
                search(Optional.of("cart"), Optional.of("bm90IGEgY3Vyc29y"), Optional.empty()),
                search(Optional.of("cart"), Optional.of("!!"), Optional.empty()))) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> SearchTracesStatement.of(bad, RANGE));
            assertTrue(e.field().equals("page_cursor") || e.field().equals("time_range"), e.getMessage());
        }
    }
}
