package io.lakeshard.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import io.lakeshard.cluster.maintenance.Lease;
import io.lakeshard.cluster.maintenance.MaintenanceScheduler;
import io.lakeshard.cluster.maintenance.TaskReport;
import io.lakeshard.cluster.maintenance.TaskType;
import io.lakeshard.cluster.node.LakeshardNode;
import io.lakeshard.cluster.registry.DatasetRecord;
import io.lakeshard.cluster.registry.DatasetRegistry;
import io.lakeshard.cluster.registry.DatasetSpec;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import io.lakeshard.cluster.table.TableEntity;
import io.lakeshard.cluster.table.TableRef;
import io.lakeshard.storage.AllTypes;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaintenanceClusterTest {
    private static final String TENANT = "acme";
    private static final DatasetName NAME = DatasetName.parse("obs.logs.lines");
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void leasedTasksRunOnceThroughTheWriterAndTheScheduleSurvivesFailOver(@TempDir Path dir) throws Exception {
        try (TestCluster cluster = new TestCluster(dir, 3, """
                lakeshard.maintenance.tick-interval = 200ms
                lakeshard.maintenance.lease-duration = 30s
                lakeshard.maintenance.initial-backoff = 1s
                """).start(); BufferAllocator allocator = new RootAllocator()) {
            LakeshardNode node = cluster.nodes.get(1);
            DatasetRecord record = assertInstanceOf(DatasetRegistry.Accepted.class, node.registry().register(TENANT, NAME,
                    DatasetSpec.of(DatasetDefinition.of(AllTypes.SCHEMA, List.of("region"))), MaintenancePolicy.defaults())
                    .toCompletableFuture().get(30, TimeUnit.SECONDS)).record();
            TableRef ref = new TableRef(TENANT, NAME, record.incarnation());
            for (int w = 0; w < 5; w++) {
                try (VectorSchemaRoot batch = AllTypes.batch(allocator, w * 100L, 100)) {
                    assertInstanceOf(TableEntity.WriteAck.class, cluster.nodes.get(w % 3).ingest()
                            .write(TENANT, NAME, batch, new IdempotencyKey("loader", w)).toCompletableFuture().get(30, TimeUnit.SECONDS));
                }
            }
            DeltaTable table = DeltaTable.at(node.tables().storage(), ref.location(node.tables().storage()));
            int filesBefore = table.snapshot().files().size();
            TestCluster.await(Duration.ofSeconds(20), () -> tasks(node).containsKey(TaskType.OPTIMIZE),
                    "the scheduler to learn the dataset from the registry's events");

            assertTrue(MaintenanceScheduler.runNow(node.system(), node.scheduler(), ref, TaskType.OPTIMIZE, TIMEOUT)
                    .toCompletableFuture().get(10, TimeUnit.SECONDS));
            TestCluster.await(Duration.ofSeconds(30), () -> tasks(node).get(TaskType.OPTIMIZE).lastOutcome().startsWith("done: optimize"),
                    "the optimize to run");
            MaintenanceScheduler.TaskStatus optimized = tasks(node).get(TaskType.OPTIMIZE);
            assertEquals(1, optimized.leaseSequence());
            assertTrue(optimized.nextRunAt().isAfter(Instant.now().plus(Duration.ofMinutes(30))), "next run a policy interval away");
            assertEquals(500, table.snapshot().numRecords(), "optimize keeps every row");
            assertTrue(table.snapshot().files().size() < filesBefore, filesBefore + " -> " + table.snapshot().files().size());

            // The writer fences leases: an older lease, or an expired one, is refused.
            TestProbe<TaskReport> probe = TestProbe.create(node.system());
            var writer = ClusterSharding.get(node.system()).entityRefFor(TableEntity.ENTITY_KEY, ref.entityId());
            writer.tell(new TableEntity.RunTask(TaskType.OPTIMIZE, new Lease(0, Instant.now().plusSeconds(60)),
                    MaintenancePolicy.defaults(), probe.getRef()));
            TaskReport.Refused stale = assertInstanceOf(TaskReport.Refused.class, probe.receiveMessage(TIMEOUT));
            assertTrue(stale.reason().contains("stale"), stale.reason());
            writer.tell(new TableEntity.RunTask(TaskType.OPTIMIZE, new Lease(7, Instant.now().minusSeconds(1)),
                    MaintenancePolicy.defaults(), probe.getRef()));
            TaskReport.Refused expired = assertInstanceOf(TaskReport.Refused.class, probe.receiveMessage(TIMEOUT));
            assertTrue(expired.reason().contains("expired"), expired.reason());

            assertTrue(MaintenanceScheduler.runNow(node.system(), node.scheduler(), ref, TaskType.VACUUM, TIMEOUT)
                    .toCompletableFuture().get(10, TimeUnit.SECONDS));
            TestCluster.await(Duration.ofSeconds(30), () -> tasks(node).get(TaskType.VACUUM).lastOutcome().startsWith("done: deleted 0 files"),
                    "the vacuum to run, keeping the replaced files within the retention");

            // The oldest node hosts the singleton; when it leaves, the schedule is recovered elsewhere from the journal.
            Map<TaskType, MaintenanceScheduler.TaskStatus> before = tasks(node);
            cluster.nodes.remove(0).close();
            TestCluster.await(Duration.ofSeconds(60), () -> {
                try {
                    return tasks(node).equals(before);
                } catch (RuntimeException e) {
                    return false;
                }
            }, "the scheduler to answer again with the same schedule");
        }
    }

    private static Map<TaskType, MaintenanceScheduler.TaskStatus> tasks(LakeshardNode node) {
        try {
            return MaintenanceScheduler.listTasks(node.system(), node.scheduler(), TIMEOUT).toCompletableFuture()
                    .get(15, TimeUnit.SECONDS).stream()
                    .collect(Collectors.toMap(MaintenanceScheduler.TaskStatus::type, status -> status));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
