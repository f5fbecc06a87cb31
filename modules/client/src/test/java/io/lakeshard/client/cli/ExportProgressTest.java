package io.lakeshard.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportProgressTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void onATerminalOneLineIsRedrawnAndClearedAtTheEnd(@TempDir Path dir) throws Exception {
        Path file = Files.write(dir.resolve("out.csv"), new byte[2_500_000]);
        StringWriter text = new StringWriter();
        AtomicLong now = new AtomicLong();
        ExportProgress progress = new ExportProgress(new PrintWriter(text), true, file, 0, now::get);
        progress.rows(10);
        assertEquals("", text.toString(), "nothing in the first moments");
        now.set(2 * SECOND);
        progress.rows(1_000_000);
        now.set(2 * SECOND + 1);
        progress.rows(1_000_001);
        assertEquals("\r1,000,000 rows  2.5 MB  500,000 rows/s", text.toString(), "at most five redraws a second");
        Files.write(file, new byte[999]);
        now.set(4 * SECOND);
        progress.rows(2_000_000);
        progress.done();
        assertEquals("\r1,000,000 rows  2.5 MB  500,000 rows/s\r2,000,000 rows  999 B  500,000 rows/s "
                + "\r" + " ".repeat(38) + "\r", text.toString());
    }

    @Test
    void intoALogALineEveryFiveSeconds(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("out.jsonl"), "{}\n", StandardCharsets.UTF_8);
        StringWriter text = new StringWriter();
        AtomicLong now = new AtomicLong();
        ExportProgress progress = new ExportProgress(new PrintWriter(text), false, file, 0, now::get);
        now.set(4 * SECOND);
        progress.rows(400);
        now.set(5 * SECOND);
        progress.rows(500);
        progress.done();
        assertEquals("500 rows  3 B  100 rows/s" + System.lineSeparator(), text.toString());
    }

    @Test
    void sizesInSiUnits() {
        assertEquals("512 B", ExportProgress.size(512));
        assertEquals("12.3 kB", ExportProgress.size(12_345));
        assertEquals("250.1 MB", ExportProgress.size(250_100_000));
        assertEquals("1.50 GB", ExportProgress.size(1_500_000_000));
    }
}
