package io.lakeshard.cluster;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.pattern.AskTimeoutException;
import io.lakeshard.cluster.maintenance.MaintenanceScheduler;
import io.lakeshard.cluster.maintenance.TaskType;
import io.lakeshard.cluster.node.LakeshardNode;
import io.lakeshard.cluster.registry.DatasetRecord;
import io.lakeshard.cluster.registry.DatasetRegistry;
import io.lakeshard.cluster.registry.DatasetSpec;
import io.lakeshard.cluster.table.TableRef;
import io.lakeshard.storage.AllTypes;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PostgreSQL goes away under a running node and comes back: the registry and the scheduler come back with it. */
class JournalOutageTest {
    private static final String TENANT = "acme";
    private static final DatasetName BEFORE = DatasetName.parse("sales.eu.orders");
    private static final DatasetName DURING = DatasetName.parse("sales.eu.returns");
    private static final DatasetSpec SPEC = DatasetSpec.of(DatasetDefinition.of(AllTypes.SCHEMA, List.of()));
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @Test
    void duringAnOutageCallsFailRetryablyAndAfterItTheRegistryAndSchedulerAnswerWithoutARestart(@TempDir Path dir) throws Exception {
        try (PostgresServer postgres = PostgresServer.start();
                TestCluster cluster = new TestCluster(dir, 1, config(postgres)).start()) {
            LakeshardNode node = cluster.nodes.get(0);
            DatasetRecord before = register(node, BEFORE);
            awaitScheduled(node, BEFORE);

            postgres.stop();
            DatasetRegistry.Reply refused = outcome(node, DURING);
            assertTrue(refused == null || refused instanceof DatasetRegistry.Rejected rejected
                    && rejected.code() == DatasetRegistry.Code.UNAVAILABLE, "a retryable error during the outage: " + refused);
            // The scheduler's write fails too: stopped, a singleton would stay stopped until its node restarts.
            MaintenanceScheduler.runNow(node.system(), node.scheduler(), new TableRef(TENANT, BEFORE, before.incarnation()),
                    TaskType.VACUUM, Duration.ofSeconds(5)).exceptionally(error -> false);
            awaitFailedWrite(node);

            postgres.startAgain();
            TestCluster.await(DEADLINE, () -> Optional.of(before).equals(answer(() -> node.registry().get(TENANT, BEFORE))),
                    "the registry answering again");
            TestCluster.await(DEADLINE, () -> outcome(node, DURING) instanceof DatasetRegistry.Accepted, "a registration retried");
            awaitScheduled(node, DURING);
        }
    }

    /** Registers as a client would: retried after the ask's timeout (the first one in a cold JVM takes longer). */
    private static DatasetRecord register(LakeshardNode node, DatasetName name) {
        TestCluster.await(DEADLINE, () -> outcome(node, name) instanceof DatasetRegistry.Accepted, "registering " + name);
        return answer(() -> node.registry().get(TENANT, name)).orElseThrow();
    }

    /** The reply to a registration; null when the registry did not answer in time, which callers retry. */
    private static DatasetRegistry.Reply outcome(LakeshardNode node, DatasetName name) {
        try {
            return node.registry().register(TENANT, name, SPEC, MaintenancePolicy.defaults()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            assertInstanceOf(AskTimeoutException.class, Failures.cause(e), "the only failure is the ask's timeout");
            return null;
        }
    }

    /** The scheduler knows the table's tasks (it learned of the registration from the journal). */
    private static void awaitScheduled(LakeshardNode node, DatasetName name) {
        TestCluster.await(DEADLINE, () -> {
            List<MaintenanceScheduler.TaskStatus> tasks = answer(() -> MaintenanceScheduler.listTasks(node.system(), node.scheduler(),
                    Duration.ofSeconds(3)));
            return tasks != null && tasks.stream().anyMatch(task -> task.table().name().equals(name));
        }, "the scheduler listing the tasks of " + name);
    }

    /** Waits until the journal has refused the scheduler's write and the scheduler no longer answers. */
    private static void awaitFailedWrite(LakeshardNode node) {
        TestCluster.await(DEADLINE, () -> answer(() -> MaintenanceScheduler.listTasks(node.system(), node.scheduler(),
                Duration.ofSeconds(1))) == null, "the scheduler's write failing");
    }

    private static <T> T answer(Supplier<CompletionStage<T>> call) {
        try {
            return call.get().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            return null;
        }
    }

    private static String config(PostgresServer postgres) {
        // Short waits for a connection and between restarts, so the outage is seen and left within seconds.
        return postgres.journalConfig() + """
                lakeshard.journal.failure-backoff { min = 200ms, max = 2s }
                lakeshard.ask-timeout = 3s
                akka-persistence-jdbc.shared-databases.default.db.connectionTimeout = 2000
                jdbc-read-journal.refresh-interval = 200ms
                """;
    }
}
