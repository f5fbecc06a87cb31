package io.lakeshard.storage.example;

import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetId;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.WriterOptions;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.maintenance.Maintenance;
import io.lakeshard.storage.maintenance.MaintenanceMetrics;
import io.lakeshard.storage.scan.ColumnPredicate;
import io.lakeshard.storage.scan.ScanPlanner;
import io.lakeshard.storage.table.CommitResult;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.TableSettings;
import io.lakeshard.storage.table.TableSnapshot;
import io.lakeshard.storage.write.BatchWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Walks the storage core end to end on a local directory: registers a span-like dataset, writes batches, plans a
 * filtered scan, optimizes, deletes rows. Until the server exists, this is what "run" runs.
 */
public final class Quickstart {
    private static final Schema SPANS = new Schema(List.of(
            new Field("trace_id", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null),
            new Field("service_name", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null),
            new Field("start_time", FieldType.notNullable(new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")), null),
            new Field("duration_ms", FieldType.notNullable(new ArrowType.Int(64, true)), null),
            new Field("status_code", FieldType.notNullable(new ArrowType.Int(32, true)), null)));
    private static final String[] SERVICES = {"checkout", "cart", "payments", "search"};

    private Quickstart() {}

    public static void main(String[] args) {
        Path dataDir = Path.of(args.length > 0 ? args[0] : "data").toAbsolutePath();
        StorageRoot storage = StorageRoot.local(dataDir);
        DatasetId id = new DatasetId("demo", new DatasetName("observability", "traces", "spans_" + System.currentTimeMillis()));
        DatasetDefinition definition = DatasetDefinition.of(SPANS, List.of("service_name"))
                .withEventTimeColumn("start_time")
                .withWriterOptions(WriterOptions.defaults().withSortColumns(List.of("start_time")));
        DeltaTable table = DeltaTable.create(storage, storage.tableUri(id), definition, TableSettings.defaults());
        System.out.printf("dataset %s at %s%n%n", id, table.root());

        try (BufferAllocator allocator = new RootAllocator()) {
            BatchWriter writer = BatchWriter.forDefinition(table.hadoopConf(), table.root(), table.snapshot().schema(),
                    definition, allocator);
            System.out.printf("%-6s %-8s %-6s %-7s%n", "batch", "version", "files", "rows");
            for (int b = 0; b < 5; b++) {
                try (VectorSchemaRoot batch = spans(allocator, b, 2_000)) {
                    var files = writer.write(batch, UUID.randomUUID().toString(), Instant.now());
                    CommitResult result = table.append(files, new IdempotencyKey("quickstart", b));
                    System.out.printf("%-6d %-8d %-6d %-7d%n", b, result.version(), files.size(), batch.getRowCount());
                }
            }
            TableSnapshot snapshot = table.snapshot();
            int planned = ScanPlanner.plan(snapshot, List.of(ColumnPredicate.eq("service_name", "payments"),
                    ColumnPredicate.ge("duration_ms", 900L))).size();
            System.out.printf("%nscan service_name = 'payments' AND duration_ms >= 900: %d of %d files%n%n",
                    planned, snapshot.files().size());

            Maintenance maintenance = new Maintenance(table, allocator);
            print(maintenance.optimize());
            print(maintenance.deleteRows(List.of(ColumnPredicate.eq("status_code", 2))));
        }
    }

    private static void print(MaintenanceMetrics m) {
        System.out.printf("%-9s version %-3d files %4d -> %-4d rows %6d -> %-6d bytes %9d -> %-9d %4d ms%n",
                m.operation(), m.version(), m.filesBefore(), m.filesAfter(), m.rowsBefore(), m.rowsAfter(),
                m.bytesBefore(), m.bytesAfter(), m.duration().toMillis());
    }

    private static VectorSchemaRoot spans(BufferAllocator allocator, int batch, int rows) {
        VectorSchemaRoot root = VectorSchemaRoot.create(SPANS, allocator);
        root.allocateNew();
        long now = Instant.now().toEpochMilli() * 1000;
        for (int i = 0; i < rows; i++) {
            long n = (long) batch * rows + i;
            ((VarCharVector) root.getVector("trace_id")).setSafe(i, String.format("%032x", n / 8).getBytes(StandardCharsets.UTF_8));
            ((VarCharVector) root.getVector("service_name")).setSafe(i, SERVICES[(int) (n % SERVICES.length)].getBytes(StandardCharsets.UTF_8));
            ((TimeStampMicroTZVector) root.getVector("start_time")).setSafe(i, now - (rows - i) * 1_000L);
            ((BigIntVector) root.getVector("duration_ms")).setSafe(i, (n * 7919) % 1000);
            ((IntVector) root.getVector("status_code")).setSafe(i, n % 97 == 0 ? 2 : 0);
        }
        root.setRowCount(rows);
        return root;
    }
}
