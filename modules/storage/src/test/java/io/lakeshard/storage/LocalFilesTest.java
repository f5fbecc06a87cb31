package io.lakeshard.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.write.NewDataFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data files on a local root are created without Hadoop's filesystem (which forks {@code chmod} per file without its
 * native library): in a partition directory made on the way, no sidecar, the size the log records, readable by the
 * owner and written by no one else, and they read back.
 */
class LocalFilesTest {
    private static final Schema SCHEMA = new Schema(List.of(
            new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
            new Field("day", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null)));

    @TempDir
    Path dir;

    @Test
    void dataFilesAreWrittenThroughJavaNio() throws IOException {
        try (BufferAllocator allocator = new RootAllocator()) {
            DeltaTable table = TestTables.create(dir, "local", DatasetDefinition.of(SCHEMA, List.of("day")));
            List<NewDataFile> files;
            try (VectorSchemaRoot batch = VectorSchemaRoot.create(SCHEMA, allocator)) {
                BigIntVector ids = (BigIntVector) batch.getVector("id");
                VarCharVector days = (VarCharVector) batch.getVector("day");
                for (int i = 0; i < 100; i++) {
                    ids.setSafe(i, i);
                    days.setSafe(i, ("d" + (i % 2)).getBytes(StandardCharsets.UTF_8));
                }
                batch.setRowCount(100);
                files = TestTables.write(table, allocator, batch);
            }
            assertEquals(2, files.size(), "one file per partition");
            for (NewDataFile file : files) {
                Path local = Path.of(table.root()).resolve(file.relativePath());
                assertTrue(Files.isRegularFile(local), local.toString());
                assertEquals(Files.size(local), file.sizeBytes());
                Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(local);
                assertTrue(permissions.contains(PosixFilePermission.OWNER_READ) && permissions.contains(PosixFilePermission.OWNER_WRITE));
                assertFalse(permissions.contains(PosixFilePermission.OTHERS_WRITE));
            }
            try (Stream<Path> all = Files.walk(Path.of(table.root()))) {
                assertTrue(all.noneMatch(path -> path.getFileName().toString().endsWith(".crc")
                        && !path.toString().contains("_delta_log")), "no checksum sidecars beside data files");
            }
            TestTables.commit(table, files, new IdempotencyKey("local", 1));
            List<Map<String, Object>> rows = TestTables.readAll(table, table.snapshot(), allocator);
            assertEquals(100, rows.size());
            assertEquals(4950L, rows.stream().mapToLong(row -> (Long) row.get("id")).sum());
        }
    }
}
