package io.lakeshard.storage.table;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.storage.StorageUnavailableException;
import io.lakeshard.storage.internal.fs.HadoopStorage;
import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Finds the commit that applied a writer's key by reading the table's commit files from the newest back: one read per
 * commit, no listing, and the search ends at the first commit that set the writer's sequence below the key, or at the
 * oldest commit the log retention left. A retry comes soon after its first attempt, so the commit is near the head.
 */
final class KeyLookup {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FileSystem fileSystem;
    private final URI logDirectory;

    KeyLookup(HadoopStorage storage, URI tableRoot) {
        requireNonNull(storage, "storage is null");
        this.logDirectory = requireNonNull(tableRoot, "tableRoot is null").resolve("_delta_log/");
        this.fileSystem = storage.fileSystem(logDirectory);
    }

    /** The commit at or below {@code latestVersion} whose {@code txn} set the key's writer to the key's sequence. */
    Optional<CommittedKey> find(IdempotencyKey key, long latestVersion) {
        for (long version = latestVersion; version >= 0; version--) {
            Optional<Commit> commit = read(version);
            if (commit.isEmpty()) {
                return Optional.empty();
            }
            Long sequence = commit.get().sequences().get(key.appId());
            if (sequence != null && sequence == key.sequence()) {
                Long rows = commit.get().rows().get(key);
                return Optional.of(new CommittedKey(key, version, rows == null ? OptionalLong.empty() : OptionalLong.of(rows)));
            }
            if (sequence != null && sequence < key.sequence()) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** The sequences one commit's {@code txn} actions set, and the rows its {@code commitInfo} recorded per key. */
    private record Commit(Map<String, Long> sequences, Map<IdempotencyKey, Long> rows) {}

    /** The commit file of {@code version}; empty once the log's cleanup deleted it. */
    private Optional<Commit> read(long version) {
        Path file = new Path(logDirectory.resolve(String.format(Locale.ROOT, "%020d.json", version)));
        Map<String, Long> sequences = new HashMap<>();
        Map<IdempotencyKey, Long> rows = new HashMap<>();
        try (FSDataInputStream in = fileSystem.open(file);
                BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                // Most lines are file actions, with statistics: parse only the lines that can be what we look for.
                if (!line.contains("\"txn\"") && !line.contains("\"commitInfo\"")) {
                    continue;
                }
                JsonNode action = JSON.readTree(line);
                JsonNode txn = action.path("txn");
                if (txn.isObject()) {
                    sequences.put(txn.path("appId").asText(), txn.path("version").asLong());
                }
                JsonNode parameters = action.path("commitInfo").path("operationParameters");
                if (parameters.isObject()) {
                    rows.putAll(CommitOperation.appliedKeys(textFields(parameters)));
                }
            }
        } catch (FileNotFoundException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StorageUnavailableException("reading " + file + " failed", e);
        }
        return Optional.of(new Commit(sequences, rows));
    }

    private static Map<String, String> textFields(JsonNode object) {
        Map<String, String> fields = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            fields.put(field.getKey(), field.getValue().asText());
        }
        return fields;
    }
}
