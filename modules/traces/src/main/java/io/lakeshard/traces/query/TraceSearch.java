package io.lakeshard.traces.query;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * A search for traces, one page of it.
 *
 * @param range empty: the caller's default (the last hour); with a page cursor, the cursor's range
 * @param pageCursor the previous page's {@link TracePage#nextCursor()}; empty for the first page
 */
public record TraceSearch(DatasetName dataset, Optional<TimeRange> range, TraceFilter filter, int limit, Optional<String> pageCursor) {
    public static final int DEFAULT_LIMIT = 20;
    public static final int MAX_LIMIT = 1_000;

    public TraceSearch {
        requireNonNull(dataset, "dataset is null");
        requireNonNull(range, "range is null");
        requireNonNull(filter, "filter is null");
        requireNonNull(pageCursor, "pageCursor is null");
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new InvalidInputException("limit", "must be 1 to " + MAX_LIMIT + ", got " + limit);
        }
    }

    /**
     * What a page cursor must have been made for: the dataset and the filters (not the limit, which may change from
     * page to page). Records print deterministically, which is all a cursor that lives for one browsing session needs.
     */
    String fingerprint() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest((dataset + "|" + filter).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
