package io.lakeshard.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lakeshard.query.catalog.DatasetCatalog;
import io.lakeshard.storage.AllTypes;
import io.lakeshard.storage.TestTables;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetCatalogTest {
    @Test
    void listsAndDescribesOnlyTheTenantsOwnDatasets(@TempDir Path dir) {
        Datasets datasets = new Datasets(dir);
        DeltaTable spans = datasets.create("acme", "obs.traces.spans", DatasetDefinition.of(AllTypes.SCHEMA, List.of("region")));
        datasets.create("acme", "obs.logs.lines", DatasetDefinition.of(AllTypes.SCHEMA, List.of()));
        datasets.create("acme", "sales.eu.orders", DatasetDefinition.of(AllTypes.SCHEMA, List.of()));
        datasets.create("globex", "hidden.x.y", DatasetDefinition.of(AllTypes.SCHEMA, List.of()));
        try (BufferAllocator allocator = new RootAllocator(); VectorSchemaRoot batch = AllTypes.batch(allocator, 0, 30)) {
            TestTables.commit(spans, TestTables.write(spans, allocator, batch), new IdempotencyKey("w", 1));
        }
        DatasetCatalog catalog = new DatasetCatalog(datasets);
        assertEquals(List.of("obs", "sales"), catalog.catalogs("acme"));
        assertEquals(List.of("logs", "traces"), catalog.schemas("acme", "obs"));
        assertEquals(List.of(DatasetName.parse("obs.traces.spans")), catalog.tables("acme", "obs", "traces"));
        assertEquals(List.of("hidden"), catalog.catalogs("globex"));

        DatasetCatalog.TableDescription description = catalog.describe("acme", DatasetName.parse("obs.traces.spans"));
        assertEquals(1, description.version());
        assertEquals(30, description.rows());
        assertEquals(4, description.files());
        assertEquals(List.of("_ls_partition_date", "region"), description.partitionColumns());
        assertEquals(spans.snapshot().sizeBytes(), description.bytes());
        assertEquals(AllTypes.SCHEMA.getFields().size() + 3, description.schema().getFields().size());
        assertThrows(UnknownTableException.class, () -> catalog.describe("globex", DatasetName.parse("obs.traces.spans")));
    }
}
