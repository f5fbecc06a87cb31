package io.lakeshard.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.cluster.node.JournalDatabase;
import io.lakeshard.cluster.node.LakeshardNode;
import io.lakeshard.cluster.registry.DatasetRecord;
import io.lakeshard.cluster.registry.DatasetRegistry;
import io.lakeshard.cluster.registry.DatasetSpec;
import io.lakeshard.storage.AllTypes;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostgresJournalTest {
    private static final DatasetName NAME = DatasetName.parse("sales.eu.orders");

    @Test
    void theRegistryPersistsInPostgresAcrossRestarts(@TempDir Path dir) throws Exception {
        try (PostgresServer postgres = PostgresServer.start()) {
            TestCluster first = new TestCluster(dir, 1, postgres.journalConfig());
            DatasetRecord record;
            try (TestCluster cluster = first.start()) {
                LakeshardNode node = cluster.nodes.get(0);
                record = assertInstanceOf(DatasetRegistry.Accepted.class, node.registry().register("acme", NAME,
                        DatasetSpec.of(DatasetDefinition.of(AllTypes.SCHEMA, List.of())), MaintenancePolicy.defaults())
                        .toCompletableFuture().get(30, TimeUnit.SECONDS)).record();
            }
            assertTrue(postgres.count("SELECT count(*) FROM event_journal WHERE persistence_id = 'DatasetRegistry|acme'") >= 1,
                    "the registration is a row in PostgreSQL");
            try (TestCluster cluster = new TestCluster(dir, 1, postgres.journalConfig()).start()) {
                Optional<DatasetRecord> again = cluster.nodes.get(0).registry().get("acme", NAME).toCompletableFuture().get(30, TimeUnit.SECONDS);
                assertEquals(Optional.of(record), again, "recovered from the PostgreSQL journal; the schema script ran twice");
            }
        }
    }

    @Test
    void nodesStartingTogetherCreateTheSchemaOnce() throws Exception {
        // Three pods start at once on an empty database: CREATE ... IF NOT EXISTS alone let two of them collide.
        try (PostgresServer postgres = PostgresServer.start()) {
            JournalDatabase journal = new JournalDatabase("postgres", postgres.url(), PostgresServer.USER, "");
            ExecutorService nodes = Executors.newFixedThreadPool(4);
            try {
                CyclicBarrier together = new CyclicBarrier(4);
                List<Future<?>> starts = new ArrayList<>();
                for (int node = 0; node < 4; node++) {
                    starts.add(nodes.submit(() -> {
                        together.await();
                        journal.createSchema();
                        return null;
                    }));
                }
                for (Future<?> start : starts) {
                    start.get(60, TimeUnit.SECONDS);
                }
            } finally {
                nodes.shutdownNow();
            }
            assertEquals(0, postgres.count("SELECT count(*) FROM event_journal"), "the tables exist, empty");
        }
    }
}
