package io.lakeshard.client.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One line of progress on stderr for a long command: redrawn in place a few times a second on a terminal, and a
 * line every few seconds when stderr is a log, so a log is not flooded.
 */
final class ProgressLine {
    private static final long TERMINAL_EVERY = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long LOG_EVERY = TimeUnit.SECONDS.toNanos(5);

    private final PrintWriter err;
    private final boolean terminal;
    private final LongSupplier clock;
    private long printedNanos;
    private int width;

    /** @param startedNanos when the command began, on {@code clock}: the first line waits one interval */
    ProgressLine(PrintWriter err, boolean terminal, long startedNanos, LongSupplier clock) {
        this.err = err;
        this.terminal = terminal;
        this.clock = clock;
        this.printedNanos = startedNanos;
    }

    /**
     * Whether stderr is a terminal. Java cannot ask about stderr itself: on Linux its descriptor's link names the
     * device; elsewhere a console (stdin and stdout on a terminal) stands in.
     */
    static boolean stderrIsTerminal() {
        try {
            String device = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return device.startsWith("/dev/pts/") || device.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException e) {
            return System.console() != null;
        }
    }

    /** Whether a line shown now would be printed: callers skip composing lines nobody sees. */
    boolean due() {
        return clock.getAsLong() - printedNanos >= (terminal ? TERMINAL_EVERY : LOG_EVERY);
    }

    void show(String line) {
        if (!due()) {
            return;
        }
        printedNanos = clock.getAsLong();
        if (terminal) {
            // Spaces over what a longer earlier line left behind.
            err.print("\r" + line + " ".repeat(Math.max(0, width - line.length())));
            width = Math.max(width, line.length());
        } else {
            err.println(line);
        }
        err.flush();
    }

    /** Clears the line drawn in place, so that the summary starts on a clean one. */
    void done() {
        if (terminal && width > 0) {
            err.print("\r" + " ".repeat(width) + "\r");
            err.flush();
        }
    }

    /** Bytes in SI units, as people read file sizes: {@code 512 B}, {@code 12.3 kB}, {@code 1.5 MB}. */
    static String size(long bytes) {
        if (bytes < 1_000) {
            return bytes + " B";
        }
        if (bytes < 1_000_000) {
            return String.format(Locale.ROOT, "%.1f kB", bytes / 1e3);
        }
        if (bytes < 1_000_000_000) {
            return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
        }
        return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
    }
}
