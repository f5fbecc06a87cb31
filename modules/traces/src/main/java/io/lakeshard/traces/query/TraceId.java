package io.lakeshard.traces.query;

import io.lakeshard.storage.dataset.InvalidInputException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A trace id as 32 lowercase hex digits: the form OTLP's JSON, the API and users share. The 16 bytes go into SQL only
 * as a blob literal built from the validated digits, never from the caller's text.
 */
public record TraceId(String hex) {
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{32}");

    public TraceId {
        if (hex == null || !HEX.matcher(hex).matches()) {
            throw new IllegalArgumentException("not 32 lowercase hex digits: " + hex);
        }
    }

    /**
     * Parses a caller's trace id, in either case.
     *
     * @param field the request field it came from, named in the error
     * @throws InvalidInputException unless it is 32 hex digits, not all zero (OTLP's invalid id)
     */
    public static TraceId parse(String text, String field) {
        String hex = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        if (!HEX.matcher(hex).matches()) {
            throw new InvalidInputException(field, "expected a trace id of 32 hex digits, got '" + shorten(text) + "'");
        }
        if (hex.chars().allMatch(c -> c == '0')) {
            throw new InvalidInputException(field, "the all-zero trace id is not a valid trace id");
        }
        return new TraceId(hex);
    }

    /** The id as a blob constant ({@link SqlText#blob}), which DuckDB checks bloom filters with. */
    public String sqlLiteral() {
        return SqlText.blob(HexFormat.of().parseHex(hex));
    }

    private static String shorten(String text) {
        if (text == null) {
            return "";
        }
        return text.length() > 40 ? text.substring(0, 40) + "..." : text;
    }

    @Override
    public String toString() {
        return hex;
    }
}
