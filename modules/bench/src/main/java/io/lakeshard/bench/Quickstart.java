package io.lakeshard.bench;

import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetId;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.WriterOptions;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.maintenance.Maintenance;
import io.lakeshard.storage.maintenance.MaintenanceMetrics;
import io.lakeshard.storage.scan.ColumnPredicate;
import io.lakeshard.storage.scan.ScanPlanner;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.GroupCommitResult;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.PendingAppend;
import io.lakeshard.storage.table.TableSettings;
import io.lakeshard.storage.table.TableSnapshot;
import io.lakeshard.storage.write.BatchWriter;
import io.lakeshard.testing.SpanBatches;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Walks the storage core end to end on a local directory: registers a span-like dataset, writes batches, plans a
 * filtered scan, optimizes, deletes rows. The README's storage quickstart runs it; it lives with the benchmarks, the
 * other programs that drive the storage API directly with the shared span fixtures.
 */
public final class Quickstart {
    private Quickstart() {}

    public static void main(String[] args) {
        Path dataDir = Path.of(args.length > 0 ? args[0] : "data").toAbsolutePath();
        StorageRoot storage = StorageRoot.local(dataDir);
        DatasetId id = new DatasetId("demo", new DatasetName("observability", "traces", "spans_" + System.currentTimeMillis()));
        DatasetDefinition definition = DatasetDefinition.of(SpanBatches.SCHEMA, List.of("service_name"))
                .withEventTimeColumn("start_time")
                .withWriterOptions(WriterOptions.defaults().withSortColumns(List.of("start_time")));
        DeltaTable table = DeltaTable.create(storage, storage.tableUri(id), definition, TableSettings.defaults());
        System.out.printf("dataset %s at %s%n%n", id, table.root());

        try (BufferAllocator allocator = new RootAllocator()) {
            BatchWriter writer = BatchWriter.forDefinition(table.storage(), table.root(), table.snapshot().schema(),
                    definition, allocator);
            System.out.printf("%-6s %-8s %-6s %-7s%n", "batch", "version", "files", "rows");
            for (int b = 0; b < 5; b++) {
                long now = Instant.now().toEpochMilli() * 1000;
                try (VectorSchemaRoot batch = SpanBatches.batch(allocator, b * 250L, 2_000, now - 3_600_000_000L, 1_000_000L)) {
                    var files = writer.write(batch, UUID.randomUUID().toString(), Instant.now());
                    // The table's single writer commits the writes it gathered as one group; here, one write.
                    GroupCommitResult result = table.appendGroup(
                            List.of(new PendingAppend(files, new IdempotencyKey("quickstart", b))), table.latestVersion());
                    System.out.printf("%-6d %-8d %-6d %-7d%n", b, result.version(), files.size(), batch.getRowCount());
                }
            }
            TableSnapshot snapshot = table.snapshot();
            int planned = ScanPlanner.plan(snapshot, List.of(ColumnPredicate.eq("service_name", "service-7"),
                    ColumnPredicate.ge("duration_ms", 900L))).size();
            System.out.printf("%nscan service_name = 'service-7' AND duration_ms >= 900: %d of %d files%n%n",
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
}
