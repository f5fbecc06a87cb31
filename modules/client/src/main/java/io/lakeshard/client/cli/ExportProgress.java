package io.lakeshard.client.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.LongSupplier;

/** An export's progress line on stderr ({@link ProgressLine}): rows, bytes in the file and rows per second. */
final class ExportProgress {
    private final ProgressLine line;
    private final Path file;

    /** @param startedNanos when the export began, on {@link System#nanoTime()} */
    ExportProgress(PrintWriter err, boolean terminal, Path file, long startedNanos) {
        this(err, terminal, file, startedNanos, System::nanoTime);
    }

    ExportProgress(PrintWriter err, boolean terminal, Path file, long startedNanos, LongSupplier clock) {
        this.line = new ProgressLine(err, terminal, startedNanos, clock);
        this.file = file;
    }

    void rows(long rows) {
        line.update(seconds -> String.format(Locale.ROOT, "%,d rows  %s  %,d rows/s", rows, size(bytes()), Math.round(rows / seconds)));
    }

    /** Clears the line drawn in place, so that the summary starts on a clean one. */
    void done() {
        line.done();
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
