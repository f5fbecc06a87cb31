package io.lakeshard.storage;

import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.table.CommitConflictException;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.PendingAppend;
import io.lakeshard.storage.write.NewDataFile;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * One of several processes committing to the same table on S3, in rounds, as two nodes that both believe they own
 * the table would. Each round it writes its files, reads the version, reports ready, waits for the go, and commits
 * expecting that version; on a conflict it reloads and commits again under the same key. Coordination is by files
 * in a directory both processes and the test share.
 *
 * <p>Arguments: settings file (Hadoop keys), storage root, table root, writer name, first row id, sync directory,
 * rounds, rows per round.
 */
public final class CommitRacer {
    private CommitRacer() {}

    public static void main(String[] args) throws Exception {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of(args[0]))) {
            properties.load(reader);
        }
        Map<String, String> settings = new HashMap<>();
        properties.stringPropertyNames().forEach(key -> settings.put(key, properties.getProperty(key)));
        StorageRoot storage = StorageRoot.of(URI.create(args[1]), settings);
        DeltaTable table = DeltaTable.at(storage, URI.create(args[2]));
        String writer = args[3];
        long firstRow = Long.parseLong(args[4]);
        Path sync = Path.of(args[5]);
        int rounds = Integer.parseInt(args[6]);
        int rows = Integer.parseInt(args[7]);
        try (BufferAllocator allocator = new RootAllocator()) {
            for (int round = 0; round < rounds; round++) {
                List<NewDataFile> files;
                try (VectorSchemaRoot batch = AllTypes.batch(allocator, firstRow + (long) round * rows, rows)) {
                    files = TestTables.write(table, allocator, batch);
                }
                PendingAppend append = new PendingAppend(files, new IdempotencyKey(writer, round));
                long expected = table.latestVersion();
                publish(sync.resolve("ready-" + writer + "-" + round), Long.toString(expected));
                await(sync.resolve("go-" + round));
                String outcome;
                try {
                    table.appendGroup(List.of(append), expected);
                    outcome = "won";
                } catch (CommitConflictException e) {
                    // Lost at the version check before committing, or at the log's put-if-absent itself.
                    outcome = e.getCause() != null ? "lost at the log" : "lost at the check";
                    TestTables.commit(table, append.files(), append.key().orElseThrow());
                }
                publish(sync.resolve("result-" + writer + "-" + round), outcome);
            }
        }
    }

    /** Writes then renames: the test polls for the name and must never read it half-written. */
    private static void publish(Path file, String content) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temp, content);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void await(Path file) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
        while (!Files.exists(file)) {
            if (Instant.now().isAfter(deadline)) {
                throw new IOException("no " + file + " within two minutes");
            }
            Thread.sleep(5);
        }
    }
}
