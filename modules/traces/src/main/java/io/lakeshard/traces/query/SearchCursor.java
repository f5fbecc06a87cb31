package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.InvalidInputException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Where the next page of a search starts: after the last trace of the previous one in the order of results (start
 * descending, then trace id descending), in the range the first page resolved. The range travels in the cursor so
 * that "the last hour" means the same hour on every page, and a trace is never shown twice nor skipped while spans
 * keep arriving. Opaque to callers: base64url of a versioned text.
 *
 * @param afterStartUnixNano the last trace's start
 * @param afterTraceId the last trace's id
 */
record SearchCursor(TimeRange range, long afterStartUnixNano, TraceId afterTraceId) {
    private static final String VERSION = "1";
    private static final String FIELD = "page_cursor";

    SearchCursor {
        requireNonNull(range, "range is null");
        requireNonNull(afterTraceId, "afterTraceId is null");
    }

    /** The cursor as text, bound to the search it continues ({@link TraceSearch#fingerprint()}). */
    String encode(String fingerprint) {
        String text = String.join(":", VERSION, Long.toString(range.startUnixNano()), Long.toString(range.endUnixNano()),
                Long.toString(afterStartUnixNano), afterTraceId.hex(), fingerprint);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads a cursor.
     *
     * @throws InvalidInputException if it is not a cursor, or was made for another search
     */
    static SearchCursor decode(String cursor, String fingerprint) {
        String[] parts;
        try {
            parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split(":", -1);
        } catch (IllegalArgumentException e) {
            throw invalid();
        }
        if (parts.length != 6 || !parts[0].equals(VERSION)) {
            throw invalid();
        }
        if (!parts[5].equals(fingerprint)) {
            throw new InvalidInputException(FIELD, "the cursor belongs to a search with other filters or another dataset; "
                    + "send the same filters as the first page's");
        }
        try {
            return new SearchCursor(new TimeRange(Long.parseLong(parts[1]), Long.parseLong(parts[2])), Long.parseLong(parts[3]),
                    new TraceId(parts[4]));
        } catch (IllegalArgumentException e) {
            throw invalid();
        }
    }

    private static InvalidInputException invalid() {
        return new InvalidInputException(FIELD, "not a cursor this server made; pass a previous page's next_cursor as it is");
    }
}
