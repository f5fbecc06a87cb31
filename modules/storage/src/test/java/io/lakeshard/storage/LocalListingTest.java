package io.lakeshard.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.delta.storage.HDFSLogStore;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.internal.fs.HadoopStorage;
import io.lakeshard.storage.internal.log.LocalAtomicLogStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Listing a local table's files, as log cleanup after every checkpoint and vacuum do. Hadoop's local file system
 * started a shell per file to read its permissions: a log of 1,600 entries took 12 s and stalled the writer.
 */
class LocalListingTest {
    private static final int FILES = 3_000;

    @Test
    void aLogOfThousandsOfEntriesIsListedWithoutAShellPerFile(@TempDir Path dir) throws IOException {
        Path log = Files.createDirectories(dir.resolve("t/_delta_log"));
        Instant time = Instant.parse("2026-11-01T00:00:00Z");
        for (int version = 0; version < FILES; version++) {
            Path commit = Files.writeString(log.resolve(String.format("%020d.json", version)), "{}".repeat(version % 7 + 1));
            Files.setLastModifiedTime(commit, FileTime.from(time.plusSeconds(version)));
        }
        Files.writeString(log.resolve(".00000000000000000000.json.crc"), "x");
        Files.createDirectories(log.resolve("_commits"));

        long started = System.nanoTime();
        List<FileStatus> files = HadoopStorage.of(StorageRoot.local(dir)).listStatuses(log.toUri());
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        // A shell per file cost about 6 ms each here: 19 s for this log. The bound is six times what that would save.
        assertTrue(millis < Duration.ofSeconds(3).toMillis(), FILES + " entries listed in " + millis + " ms");
        assertEquals(FILES + 1, files.size(), "every file, hidden ones too; no directories");
        Map<String, FileStatus> byName = files.stream().collect(Collectors.toMap(f -> f.getPath().getName(), Function.identity()));
        FileStatus entry = byName.get(String.format("%020d.json", 100));
        assertEquals(2 * (100 % 7 + 1), entry.getLen());
        assertEquals(time.plusSeconds(100).toEpochMilli(), entry.getModificationTime());
    }

    @Test
    void theLogStoreListsFromAVersionAsTheStockStoreDoes(@TempDir Path dir) throws IOException {
        Path log = Files.createDirectories(dir.resolve("t/_delta_log"));
        Instant time = Instant.parse("2026-11-01T00:00:00Z");
        for (int version = 0; version < 300; version++) {
            Path commit = Files.writeString(log.resolve(String.format("%020d.json", version)), "{}".repeat(version % 5 + 1));
            Files.setLastModifiedTime(commit, FileTime.from(time.plusSeconds(version)));
        }
        Files.writeString(log.resolve(String.format("%020d.checkpoint.parquet", 200)), "checkpoint");
        Files.writeString(log.resolve("_last_checkpoint"), "{}");
        Files.writeString(log.resolve(".00000000000000000250.json.crc"), "x");
        Files.createDirectories(log.resolve("_commits"));
        Configuration conf = new Configuration(false);
        conf.set("fs.file.impl", "org.apache.hadoop.fs.RawLocalFileSystem");
        conf.setBoolean("fs.file.impl.disable.cache", true);
        for (String start : List.of(String.format("%020d.json", 0), String.format("%020d.checkpoint.parquet", 200),
                String.format("%020d.json", 250), String.format("%020d.json", 999))) {
            org.apache.hadoop.fs.Path from = new org.apache.hadoop.fs.Path(log.resolve(start).toUri());
            List<String> ours = describe(new LocalAtomicLogStore(conf).listFrom(from, conf));
            List<String> stock = describe(new HDFSLogStore(conf).listFrom(from, conf));
            assertEquals(stock, ours, "listing from " + start);
        }
        org.apache.hadoop.fs.Path missing = new org.apache.hadoop.fs.Path(dir.resolve("none/_delta_log/x.json").toUri());
        assertThrows(FileNotFoundException.class, () -> new LocalAtomicLogStore(conf).listFrom(missing, conf));
    }

    /** Name, kind, and for files size and modification time, in listing order. */
    private static List<String> describe(Iterator<FileStatus> statuses) {
        List<String> out = new ArrayList<>();
        statuses.forEachRemaining(status -> out.add(status.getPath().toString() + (status.isDirectory() ? " dir"
                : " " + status.getLen() + " " + status.getModificationTime())));
        return out;
    }
}
