package io.lakeshard.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetId;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.internal.read.DataFileReader;
import io.lakeshard.storage.table.CommitConflictException;
import io.lakeshard.storage.table.CommitResult;
import io.lakeshard.storage.table.DataFile;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.GroupCommitResult;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.PendingAppend;
import io.lakeshard.storage.table.TableSettings;
import io.lakeshard.storage.table.TableSnapshot;
import io.lakeshard.storage.write.BatchWriter;
import io.lakeshard.storage.write.NewDataFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.Text;

/** Helpers shared by the storage tests: a table in a temp directory, and rows as comparable values. */
public final class TestTables {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestTables() {}

    public static DeltaTable create(Path dir, String table, DatasetDefinition definition) {
        return create(dir, table, definition, TableSettings.defaults());
    }

    public static DeltaTable create(Path dir, String table, DatasetDefinition definition, TableSettings settings) {
        StorageRoot storage = StorageRoot.local(dir);
        DatasetId id = new DatasetId("tenant_a", new DatasetName("main", "test", table));
        return DeltaTable.create(storage, storage.tableUri(id), definition, settings);
    }

    /**
     * Commits one writer's files as the table's owner does: a group commit of one append at the version just read.
     * Another writer moving the log first is a conflict; the owner reloads and commits again under the same key, and
     * so does this.
     */
    public static CommitResult commit(DeltaTable table, List<NewDataFile> files, IdempotencyKey key) {
        List<PendingAppend> append = List.of(new PendingAppend(files, key));
        while (true) {
            try {
                GroupCommitResult result = table.appendGroup(append, table.latestVersion());
                return new CommitResult(result.version(), result.applied().get(0));
            } catch (CommitConflictException e) {
                // Another writer committed between the read and the commit; its commit is as good as ours.
            }
        }
    }

    /**
     * A protocol as Spark writes it for a table with deletion vectors: a reader feature Lakeshard does not implement.
     */
    public static final String DELETION_VECTORS_PROTOCOL = "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,"
            + "\"readerFeatures\":[\"deletionVectors\"],\"writerFeatures\":[\"deletionVectors\"]}}";
    /** A protocol Kernel loads and Lakeshard does not read: old files' columns may be narrower than the schema says. */
    public static final String TYPE_WIDENING_PROTOCOL = "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,"
            + "\"readerFeatures\":[\"typeWidening\"],\"writerFeatures\":[\"typeWidening\"]}}";

    /** Writes the table's next commit by hand, as another Delta writer would: one JSON action per line. */
    public static long commitByHand(DeltaTable table, String... actions) throws IOException {
        long version = table.latestVersion() + 1;
        String commitInfo = "{\"commitInfo\":{\"timestamp\":" + System.currentTimeMillis()
                + ",\"operation\":\"SET TBLPROPERTIES\",\"engineInfo\":\"by hand\"}}";
        Path commit = Path.of(table.root()).resolve("_delta_log").resolve(String.format("%020d.json", version));
        Files.writeString(commit, commitInfo + "\n" + String.join("\n", actions) + "\n", StandardOpenOption.CREATE_NEW);
        return version;
    }

    /** The actions of one commit as its JSON file in {@code _delta_log} holds them. */
    public static List<JsonNode> logActions(DeltaTable table, long version) throws IOException {
        Path commit = Path.of(table.root()).resolve("_delta_log").resolve(String.format("%020d.json", version));
        List<JsonNode> actions = new ArrayList<>();
        for (String line : Files.readAllLines(commit)) {
            actions.add(JSON.readTree(line));
        }
        return actions;
    }

    public static List<NewDataFile> write(DeltaTable table, BufferAllocator allocator, VectorSchemaRoot batch) {
        BatchWriter writer = BatchWriter.forDefinition(table.storage(), table.root(), table.snapshot().schema(),
                table.definition(), allocator);
        return writer.write(batch, UUID.randomUUID().toString(), Instant.now());
    }

    /** Every row of a snapshot, as maps of column to normalised value, user columns only. */
    public static List<Map<String, Object>> readAll(DeltaTable table, TableSnapshot snapshot, BufferAllocator allocator) {
        List<Map<String, Object>> rows = new ArrayList<>();
        DataFileReader reader = new DataFileReader(table, allocator);
        for (DataFile file : snapshot.files()) {
            try (VectorSchemaRoot root = reader.read(snapshot, file)) {
                rows.addAll(rows(root, true));
            }
        }
        return rows;
    }

    public static List<Map<String, Object>> rows(VectorSchemaRoot root, boolean userColumnsOnly) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < root.getRowCount(); i++) {
            Map<String, Object> row = new TreeMap<>();
            for (FieldVector vector : root.getFieldVectors()) {
                if (userColumnsOnly && vector.getName().startsWith("_ls_")) {
                    continue;
                }
                row.put(vector.getName(), normalize(vector.getObject(i)));
            }
            rows.add(row);
        }
        return rows;
    }

    /** Arrow's getObject values made comparable by equals: bytes as hex, text as strings, nested recursively. */
    public static Object normalize(Object value) {
        if (value instanceof byte[] bytes) {
            return HexFormat.of().formatHex(bytes);
        }
        if (value instanceof Text text) {
            return new String(text.copyBytes(), StandardCharsets.UTF_8);
        }
        if (value instanceof List<?> list) {
            return list.stream().map(TestTables::normalize).toList();
        }
        if (value instanceof Map<?, ?> map) {
            Map<Object, Object> out = new TreeMap<>();
            map.forEach((k, v) -> out.put(String.valueOf(normalize(k)), normalize(v)));
            return out;
        }
        return value;
    }
}
