package io.lakeshard.client.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * An export's progress on stderr: rows, bytes in the file and rows per second, redrawn in place on a terminal and
 * printed as a line every few seconds into a log, where carriage returns would pile up on one line.
 */
final class ExportProgress {
    private static final long TERMINAL_EVERY = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long LOG_EVERY = TimeUnit.SECONDS.toNanos(5);

    private final PrintWriter err;
    private final boolean terminal;
    private final Path file;
    private final LongSupplier clock;
    private final long startedNanos;
    private long printedNanos;
    private int width;

    /** @param startedNanos when the export began, on {@link System#nanoTime()} */
    ExportProgress(PrintWriter err, boolean terminal, Path file, long startedNanos) {
        this(err, terminal, file, startedNanos, System::nanoTime);
    }

    ExportProgress(PrintWriter err, boolean terminal, Path file, long startedNanos, LongSupplier clock) {
        this.err = err;
        this.terminal = terminal;
        this.file = file;
        this.clock = clock;
        this.startedNanos = startedNanos;
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

    void rows(long rows) {
        long now = clock.getAsLong();
        if (now - printedNanos < (terminal ? TERMINAL_EVERY : LOG_EVERY)) {
            return;
        }
        printedNanos = now;
        double seconds = Math.max(1e-3, (now - startedNanos) / 1e9);
        String line = String.format(Locale.ROOT, "%,d rows  %s  %,d rows/s", rows, size(bytes()), Math.round(rows / seconds));
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

    long bytes() {
        try {
            return Files.size(file);
        } catch (IOException e) {
            // DuckDB may replace the file while it writes; the next line has the size again.
            return 0;
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
