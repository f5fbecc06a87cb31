package io.lakeshard.client.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * An export's progress on stderr: rows, bytes in the file and rows per second, redrawn in place on a terminal and
 * printed as a line every few seconds into a log, where carriage returns would pile up on one line.
 */
final class ExportProgress {
    private final ProgressLine line;
    private final Path file;
    private final LongSupplier clock;
    private final long startedNanos;

    /** @param startedNanos when the export began, on {@link System#nanoTime()} */
    ExportProgress(PrintWriter err, boolean terminal, Path file, long startedNanos) {
        this(err, terminal, file, startedNanos, System::nanoTime);
    }

    ExportProgress(PrintWriter err, boolean terminal, Path file, long startedNanos, LongSupplier clock) {
        this.line = new ProgressLine(err, terminal, startedNanos, clock);
        this.file = file;
        this.clock = clock;
        this.startedNanos = startedNanos;
    }

    static boolean stderrIsTerminal() {
        return ProgressLine.stderrIsTerminal();
    }

    void rows(long rows) {
        if (line.due()) {
            double seconds = Math.max(1e-3, (clock.getAsLong() - startedNanos) / 1e9);
            line.show(String.format(Locale.ROOT, "%,d rows  %s  %,d rows/s", rows, size(bytes()), Math.round(rows / seconds)));
        }
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

    static String size(long bytes) {
        return ProgressLine.size(bytes);
    }
}
