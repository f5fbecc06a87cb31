package io.lakeshard.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.cluster.node.LakeshardNode;
import io.lakeshard.cluster.registry.DatasetRecord;
import io.lakeshard.cluster.registry.DatasetRegistry;
import io.lakeshard.cluster.registry.DatasetSpec;
import io.lakeshard.cluster.table.TableEntity;
import io.lakeshard.cluster.table.TableRef;
import io.lakeshard.query.QueryRequest;
import io.lakeshard.query.UnknownTableException;
import io.lakeshard.query.engine.QueryResult;
import io.lakeshard.storage.AllTypes;
import io.lakeshard.storage.TestTables;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import io.lakeshard.storage.table.IdempotencyKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A dataset from registration to purge: evolve its schema, drop it, and register its name again. */
class DatasetLifecycleTest {
    private static final String TENANT = "acme";
    private static final DatasetName NAME = DatasetName.parse("sales.eu.orders");
    private static final Field EXTRA = new Field("extra", FieldType.nullable(ArrowType.Utf8.INSTANCE), null);

    @Test
    void evolveDropPurgeAndRegisterAgain(@TempDir Path dir) throws Exception {
        try (TestCluster cluster = new TestCluster(dir, 1, """
                lakeshard.maintenance.tick-interval = 200ms
                lakeshard.maintenance.purge-after = 1s
                """).start(); BufferAllocator allocator = new RootAllocator()) {
            LakeshardNode node = cluster.nodes.get(0);
            DatasetRecord first = register(node);
            try (VectorSchemaRoot batch = AllTypes.batch(allocator, 0, 10)) {
                write(node, batch, 1);
            }

            DatasetRecord evolved = node.datasets().addColumns(TENANT, NAME, List.of(EXTRA)).toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertTrue(evolved.spec().arrowSchemaJson().contains("\"extra\""), "the registry records the new column");
            try (VectorSchemaRoot base = AllTypes.batch(allocator, 100, 5); VarCharVector extra = new VarCharVector(EXTRA, allocator)) {
                for (int i = 0; i < 5; i++) {
                    extra.setSafe(i, ("x" + i).getBytes(StandardCharsets.UTF_8));
                }
                extra.setValueCount(5);
                List<FieldVector> vectors = new ArrayList<>(base.getFieldVectors());
                vectors.add(extra);
                write(node, new VectorSchemaRoot(vectors), 2);
            }
            Map<String, Object> counts = query(node, "SELECT count(*) AS n, count(extra) AS with_extra FROM sales.eu.orders");
            assertEquals(15L, counts.get("n"));
            assertEquals(5L, counts.get("with_extra"), "old rows read the new column as null");

            ExecutionException notNullable = Assertions.assertThrows(ExecutionException.class, () -> node.datasets()
                    .addColumns(TENANT, NAME, List.of(new Field("strict", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null)))
                    .toCompletableFuture().get(30, TimeUnit.SECONDS));
            assertEquals("columns.strict", assertInstanceOf(InvalidInputException.class, notNullable.getCause()).field());

            MaintenancePolicy policy = new MaintenancePolicy(Duration.ofMinutes(5), Duration.ofHours(2), Duration.ofHours(3), 30);
            assertEquals(policy, node.datasets().updatePolicy(TENANT, NAME, policy).toCompletableFuture().get(30, TimeUnit.SECONDS).policy());
            assertEquals(policy, node.registry().get(TENANT, NAME).toCompletableFuture().get(10, TimeUnit.SECONDS).orElseThrow().policy());

            node.datasets().drop(TENANT, NAME).toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertEquals(Optional.empty(), node.registry().get(TENANT, NAME).toCompletableFuture().get(10, TimeUnit.SECONDS));
            ExecutionException gone = Assertions.assertThrows(ExecutionException.class, () -> {
                try (VectorSchemaRoot batch = AllTypes.batch(allocator, 200, 1)) {
                    write(node, batch, 3);
                }
            });
            assertInstanceOf(UnknownTableException.class, gone.getCause());
            Path tableDir = Path.of(new TableRef(TENANT, NAME, first.incarnation()).location(node.tables().storage()));
            TestCluster.await(Duration.ofSeconds(30), () -> !Files.exists(tableDir), "the dropped table's files to be purged");

            DatasetRecord second = register(node);
            assertNotEquals(first.incarnation(), second.incarnation(), "a new incarnation, a new table");
            assertEquals(0L, query(node, "SELECT count(*) AS n FROM sales.eu.orders").get("n"));
        }
    }

    private static DatasetRecord register(LakeshardNode node) throws Exception {
        return assertInstanceOf(DatasetRegistry.Accepted.class, node.registry().register(TENANT, NAME,
                DatasetSpec.of(DatasetDefinition.of(AllTypes.SCHEMA, List.of())), MaintenancePolicy.defaults())
                .toCompletableFuture().get(30, TimeUnit.SECONDS)).record();
    }

    private static void write(LakeshardNode node, VectorSchemaRoot batch, long sequence) throws Exception {
        TableEntity.WriteReply reply = node.ingest().write(TENANT, NAME, batch, new IdempotencyKey("lifecycle", sequence))
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertTrue(assertInstanceOf(TableEntity.WriteAck.class, reply, String.valueOf(reply)).applied());
    }

    private static Map<String, Object> query(LakeshardNode node, String sql) {
        try (QueryResult result = node.queries().execute(QueryRequest.of("q-" + System.nanoTime(), TENANT, sql))) {
            assertTrue(result.next());
            return TestTables.rows(result.batch(), false).get(0);
        }
    }
}
