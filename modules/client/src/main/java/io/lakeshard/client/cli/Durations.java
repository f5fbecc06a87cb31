package io.lakeshard.client.cli;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people type and read them: {@code 100ms}, {@code 1.5s}, {@code 1h}; {@code 12.5 ms}, {@code 850 µs}. */
final class Durations {
    private static final Pattern TEXT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|µs|ms|s|m|h|d)");
    private static final Map<String, Long> NANOS_PER_UNIT = Map.of("ns", 1L, "us", 1_000L, "µs", 1_000L, "ms", 1_000_000L,
            "s", 1_000_000_000L, "m", 60_000_000_000L, "h", 3_600_000_000_000L, "d", 86_400_000_000_000L);

    private Durations() {}

    /** @throws IllegalArgumentException naming {@code option} unless the text is a number and a unit */
    static Duration parse(String text, String option) {
        Matcher matcher = TEXT.matcher(text.strip());
        if (!matcher.matches()) {
            throw new IllegalArgumentException(option + " takes a number and a unit (ns, us, ms, s, m, h, d), like 100ms or 1h; not '"
                    + text + "'");
        }
        BigDecimal nanos = new BigDecimal(matcher.group(1)).multiply(BigDecimal.valueOf(NANOS_PER_UNIT.get(matcher.group(2))));
        return Duration.ofNanos(nanos.longValue());
    }

    /** Three significant digits at most, trailing zeros dropped: {@code 850 ns}, {@code 12.5 ms}, {@code 1.25 s}, {@code 100 ms}. */
    static String format(long nanos) {
        if (nanos < 1_000) {
            return nanos + " ns";
        }
        if (nanos < 1_000_000) {
            return digits(nanos / 1e3) + " µs";
        }
        if (nanos < 1_000_000_000) {
            return digits(nanos / 1e6) + " ms";
        }
        return digits(nanos / 1e9) + " s";
    }

    private static String digits(double value) {
        String text = String.format(Locale.ROOT, value < 10 ? "%.2f" : value < 100 ? "%.1f" : "%.0f", value);
        return text.contains(".") ? text.replaceAll("0+$", "").replaceAll("\\.$", "") : text;
    }
}
