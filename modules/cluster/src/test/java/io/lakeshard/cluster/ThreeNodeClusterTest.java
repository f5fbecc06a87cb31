package io.lakeshard.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.cluster.registry.DatasetRecord;
import io.lakeshard.cluster.registry.DatasetRegistry;
import io.lakeshard.cluster.registry.DatasetSpec;
import io.lakeshard.cluster.table.IngestRouter;
import io.lakeshard.cluster.table.TableEntity;
import io.lakeshard.cluster.table.TableRef;
import io.lakeshard.query.Consistency;
import io.lakeshard.query.QueryRequest;
import io.lakeshard.query.engine.QueryResult;
import io.lakeshard.storage.AllTypes;
import io.lakeshard.storage.TestTables;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.TableSnapshot;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ThreeNodeClusterTest {
    private static final DatasetName SPANS = DatasetName.parse("obs.traces.spans");
    private static final String TENANT = "acme";

    private Path dir;
    private TestCluster cluster;
    private BufferAllocator allocator;
    private DatasetRecord record;

    @BeforeAll
    void start(@TempDir Path tempDir) throws Exception {
        dir = tempDir;
        allocator = new RootAllocator();
        cluster = new TestCluster(dir, 3).start();
        DatasetRegistry.Reply reply = cluster.nodes.get(0).registry().register(TENANT, SPANS,
                DatasetSpec.of(DatasetDefinition.of(AllTypes.SCHEMA, List.of("region"))), MaintenancePolicy.defaults())
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        record = assertInstanceOf(DatasetRegistry.Accepted.class, reply).record();
    }

    @AfterAll
    void stop() throws Exception {
        cluster.close();
        allocator.close();
    }

    private TableEntity.WriteReply write(int node, long firstRow, int rows, IdempotencyKey key) throws Exception {
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, firstRow, rows)) {
            return cluster.nodes.get(node).ingest().write(TENANT, SPANS, batch, key).toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    private long count(int node, Consistency consistency) {
        QueryRequest request = QueryRequest.of("q-" + System.nanoTime(), TENANT, "SELECT count(*) AS n FROM obs.traces.spans")
                .withConsistency(consistency);
        try (QueryResult result = cluster.nodes.get(node).queries().execute(request)) {
            assertTrue(result.next());
            return (Long) TestTables.rows(result.batch(), false).get(0).get("n");
        }
    }

    @Test
    @Order(1)
    void aRegistrationIsVisibleOnEveryNodeOnceAcknowledged() throws Exception {
        for (int node = 0; node < 3; node++) {
            Optional<DatasetRecord> seen = cluster.nodes.get(node).registry().get(TENANT, SPANS).toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertEquals(Optional.of(record), seen, "node " + node);
        }
        DatasetRegistry.Reply again = cluster.nodes.get(2).registry().register(TENANT, SPANS,
                DatasetSpec.of(DatasetDefinition.of(AllTypes.SCHEMA, List.of("region"))), MaintenancePolicy.defaults())
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertFalse(assertInstanceOf(DatasetRegistry.Accepted.class, again).created(), "same definition: idempotent");
        DatasetRegistry.Reply conflict = cluster.nodes.get(1).registry().register(TENANT, SPANS,
                DatasetSpec.of(DatasetDefinition.of(AllTypes.SCHEMA, List.of())), MaintenancePolicy.defaults())
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(DatasetRegistry.Code.ALREADY_EXISTS, assertInstanceOf(DatasetRegistry.Rejected.class, conflict).code());
    }

    @Test
    @Order(2)
    void writesFromEveryNodeLandThroughOneWriterInFewerCommits() throws Exception {
        long before = table().latestVersion();
        List<CompletableFuture<TableEntity.WriteReply>> replies = new ArrayList<>();
        List<VectorSchemaRoot> batches = new ArrayList<>();
        int writesPerNode = 20;
        for (int node = 0; node < 3; node++) {
            for (int w = 0; w < writesPerNode; w++) {
                VectorSchemaRoot batch = AllTypes.batch(allocator, (node * writesPerNode + w) * 50L, 50);
                batches.add(batch);
                // Concurrent writes, each its own app id: one write in flight per app id.
                replies.add(cluster.nodes.get(node).ingest()
                        .write(TENANT, SPANS, batch, new IdempotencyKey("client-" + node + "-" + w, 0)).toCompletableFuture());
            }
        }
        CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
        batches.forEach(VectorSchemaRoot::close);
        Set<Long> versions = new HashSet<>();
        for (CompletableFuture<TableEntity.WriteReply> reply : replies) {
            TableEntity.WriteAck ack = assertInstanceOf(TableEntity.WriteAck.class, reply.get());
            assertTrue(ack.applied());
            versions.add(ack.version());
        }
        TableSnapshot snapshot = table().snapshot();
        assertEquals(3000, snapshot.numRecords(), "every acknowledged row");
        long commits = snapshot.version() - before;
        assertEquals(versions.size(), commits, "acknowledgements name the commits that hold them");
        assertTrue(commits < 60, "group commit: " + commits + " commits for 60 writes");
        assertTrue(snapshot.files().size() < 60 * 4, "coalesced small batches: " + snapshot.files().size() + " files");
        for (int node = 0; node < 3; node++) {
            long committed = cluster.nodes.get(node).ingest().committedVersion(ref()).toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertEquals(snapshot.version(), committed, "one writer, seen from node " + node);
        }

        TableEntity.WriteAck retry = assertInstanceOf(TableEntity.WriteAck.class, write(1, 50L * 20, 50, new IdempotencyKey("client-1-0", 0)));
        assertFalse(retry.applied(), "a retried key adds nothing");
        assertEquals(3000, table().snapshot().numRecords());

        // One app id, writes in order, a retry of the last, then a write from before the last one: refused, not
        // dropped as a retry.
        assertTrue(assertInstanceOf(TableEntity.WriteAck.class, write(0, 90_000, 1, new IdempotencyKey("serial", 5))).applied());
        assertTrue(assertInstanceOf(TableEntity.WriteAck.class, write(0, 90_001, 1, new IdempotencyKey("serial", 6))).applied());
        assertFalse(assertInstanceOf(TableEntity.WriteAck.class, write(2, 90_001, 1, new IdempotencyKey("serial", 6))).applied());
        // Refused even though this writer committed it a moment ago: the log keeps only the last key of an app id,
        // and the answer must be the same on a writer that restarted since.
        TableEntity.WriteRejected outOfOrder = assertInstanceOf(TableEntity.WriteRejected.class,
                write(1, 90_000, 1, new IdempotencyKey("serial", 5)));
        assertEquals("idempotency_key.sequence", outOfOrder.field());
        assertEquals(3002, table().snapshot().numRecords());
    }

    @Test
    @Order(3)
    void aWriteIsVisibleInAQueryOnAnotherNodeWithinOneSecond() throws Exception {
        long before = count(2, Consistency.LATEST_COMMITTED);
        TableEntity.WriteAck ack = assertInstanceOf(TableEntity.WriteAck.class, write(0, 100_000, 10, new IdempotencyKey("fresh", 1)));
        long acknowledged = System.nanoTime();
        TestCluster.await(Duration.ofSeconds(1), () -> count(2, Consistency.LATEST_LOCAL) == before + 10,
                "node 2 to see the write through its cached snapshot");
        long latencyMs = (System.nanoTime() - acknowledged) / 1_000_000;
        assertTrue(latencyMs < 1000, "visible after " + latencyMs + " ms");
        assertTrue(ack.applied());
    }

    @Test
    @Order(3)
    void aReadYourWritesQueryOnAnotherNodeSeesTheWriteAtOnce() throws Exception {
        long before = count(1, Consistency.LATEST_LOCAL);
        assertInstanceOf(TableEntity.WriteAck.class, write(0, 150_000, 7, new IdempotencyKey("ryw", 1)));
        assertEquals(before + 7, count(1, Consistency.READ_YOUR_WRITES), "no waiting: the node asked the writer");
    }

    @Test
    @Order(4)
    void aCommitThatFindsTheLogMovedIsRefusedAndTheWriterRecovers() throws Exception {
        // An old owner (or the other half of a split brain) commits behind the writer's back.
        DeltaTable outsider = DeltaTable.at(cluster.nodes.get(0).tables().storage(), ref().location(cluster.nodes.get(0).tables().storage()));
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, 200_000, 5)) {
            TestTables.commit(outsider, TestTables.write(outsider, allocator, batch), new IdempotencyKey("outsider", 1));
        }
        IdempotencyKey key = new IdempotencyKey("fenced-client", 1);
        TableEntity.WriteRejected refused = assertInstanceOf(TableEntity.WriteRejected.class, write(1, 300_000, 5, key));
        assertTrue(refused.retryable(), refused.message());
        TableEntity.WriteAck retried = assertInstanceOf(TableEntity.WriteAck.class, write(1, 300_000, 5, key));
        assertTrue(retried.applied(), "the writer reloaded; the retry commits once");
        assertEquals(3002 + 10 + 7 + 5 + 5, table().snapshot().numRecords());
    }

    @Test
    @Order(5)
    void badBatchesAreRefusedByTheReceivingNode() throws Exception {
        long before = table().latestVersion();
        try (VectorSchemaRoot batch = VectorSchemaRoot.create(new Schema(List.of(
                AllTypes.SCHEMA.findField("id"), new Field("nope", FieldType.nullable(ArrowType.Utf8.INSTANCE), null))), allocator)) {
            batch.setRowCount(0);
            TableEntity.WriteReply reply = cluster.nodes.get(2).ingest().write(TENANT, SPANS, batch, new IdempotencyKey("bad", 1))
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            TableEntity.WriteRejected rejected = assertInstanceOf(TableEntity.WriteRejected.class, reply);
            assertFalse(rejected.retryable());
            assertEquals("batch.nope", rejected.field());
        }
        assertEquals(before, table().latestVersion(), "nothing committed");
    }

    @Test
    @Order(6)
    void aBatchOverTheFrameLimitGoesAsFilesWhateverTheThreshold() throws Exception {
        var node = cluster.nodes.get(1);
        var router = new IngestRouter(node.system(), node.registry(), node.snapshots(), node.tables(),
                node.allocator(), Long.MAX_VALUE, Duration.ofSeconds(30), Duration.ofSeconds(1), Clock.systemUTC());
        long before = table().snapshot().numRecords();
        try (VectorSchemaRoot batch = AllTypes.batch(allocator, 500_000, 10_000)) {
            TableEntity.WriteReply reply = router.write(TENANT, SPANS, batch, new IdempotencyKey("large", 1))
                    .toCompletableFuture().get(60, TimeUnit.SECONDS);
            assertTrue(assertInstanceOf(TableEntity.WriteAck.class, reply).applied(), "not dropped by Artery's frame limit");
        }
        assertEquals(before + 10_000, table().snapshot().numRecords());
    }

    @Test
    @Order(10)
    void theRegistrySurvivesARestartOfAllNodes() throws Exception {
        long rows = table().snapshot().numRecords();
        cluster.close();
        cluster = new TestCluster(dir, 3).start();
        Optional<DatasetRecord> seen = cluster.nodes.get(1).registry().get(TENANT, SPANS).toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(Optional.of(record), seen);
        assertEquals(rows, count(0, Consistency.LATEST_COMMITTED));
        assertInstanceOf(TableEntity.WriteAck.class, write(2, 400_000, 5, new IdempotencyKey("after-restart", 1)));
    }

    private TableRef ref() {
        return new TableRef(TENANT, SPANS, record.incarnation());
    }

    private DeltaTable table() {
        return DeltaTable.at(cluster.nodes.get(0).tables().storage(), ref().location(cluster.nodes.get(0).tables().storage()));
    }
}
