package io.lakeshard.client.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleFunction;
import java.util.function.LongSupplier;

/**
 * A long command's progress on stderr: one line redrawn in place on a terminal, and a line every few seconds into a
 * log, where carriage returns would pile up on one line.
 */
final class ProgressLine {
    private static final long TERMINAL_EVERY = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long LOG_EVERY = TimeUnit.SECONDS.toNanos(5);

    private final PrintWriter err;
    private final boolean terminal;
    private final LongSupplier clock;
    private final long startedNanos;
    private long printedNanos;
    private int width;

    /** @param startedNanos when the command began, on {@code clock} ({@link System#nanoTime()}'s scale) */
    ProgressLine(PrintWriter err, boolean terminal, long startedNanos, LongSupplier clock) {
        this.err = err;
        this.terminal = terminal;
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

    /** Prints the line {@code text} makes of the seconds since the start, when one is due. */
    void update(DoubleFunction<String> text) {
        long now = clock.getAsLong();
        if (now - printedNanos < (terminal ? TERMINAL_EVERY : LOG_EVERY)) {
            return;
        }
        printedNanos = now;
        String line = text.apply(Math.max(1e-3, (now - startedNanos) / 1e9));
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
}
