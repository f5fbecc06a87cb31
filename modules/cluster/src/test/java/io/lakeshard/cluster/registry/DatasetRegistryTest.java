package io.lakeshard.cluster.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import com.typesafe.config.ConfigFactory;
import io.lakeshard.cluster.JournalBackoff;
import io.lakeshard.cluster.TestClock;
import io.lakeshard.cluster.registry.DatasetRegistry.Accepted;
import io.lakeshard.cluster.registry.DatasetRegistry.Code;
import io.lakeshard.cluster.registry.DatasetRegistry.Command;
import io.lakeshard.cluster.registry.DatasetRegistry.Event;
import io.lakeshard.cluster.registry.DatasetRegistry.Rejected;
import io.lakeshard.cluster.registry.DatasetRegistry.Reply;
import io.lakeshard.cluster.registry.DatasetRegistry.State;
import io.lakeshard.cluster.table.TableRef;
import io.lakeshard.cluster.table.TableStore;
import io.lakeshard.storage.AllTypes;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.TableSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tenant's registry on an in-memory journal, creating real tables in a temporary directory. */
class DatasetRegistryTest {
    private static final Instant START = Instant.parse("2026-03-01T10:00:00Z");
    private static final String TENANT = "acme";
    private static final DatasetName NAME = DatasetName.parse("obs.logs.lines");
    private static final DatasetSpec SPEC = DatasetSpec.of(DatasetDefinition.of(AllTypes.SCHEMA, List.of("region")));
    private static final JournalBackoff BACKOFF = new JournalBackoff(Duration.ofMillis(100), Duration.ofSeconds(1));

    @TempDir
    Path dir;
    private final TestClock clock = new TestClock(START);
    private final ExecutorService blocking = Executors.newFixedThreadPool(2);
    private ActorTestKit actors;
    private TableStore tables;
    private EventSourcedBehaviorTestKit<Command, Event, State> registry;

    @BeforeEach
    void start() {
        // Creating the first Delta table in a JVM loads Hadoop and Kernel: allow it more than the default 3 s.
        actors = ActorTestKit.create(EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseString("""
                akka.actor.serialization-bindings { "io.lakeshard.cluster.CborSerializable" = jackson-cbor }
                akka.actor.testkit.typed.single-expect-default = 30s
                """)));
        tables = new TableStore(StorageRoot.local(dir), location -> StorageRoot.local(Path.of(location)), TableSettings.defaults(), blocking);
        registry = EventSourcedBehaviorTestKit.create(actors.system(), DatasetRegistry.create(TENANT, tables, BACKOFF, clock),
                EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
    }

    @AfterEach
    void stop() {
        actors.shutdownTestKit();
        blocking.shutdownNow();
    }

    @Test
    void registeringCreatesTheTableThenRecordsTheDatasetOnce() {
        CommandResultWithReply<Command, Event, State, Reply> registered = register(SPEC);
        Accepted accepted = assertInstanceOf(Accepted.class, registered.reply());
        assertTrue(accepted.created());
        DatasetRecord record = accepted.record();
        assertEquals(START, record.registeredAt());
        assertEquals(new DatasetRegistry.Registered(record), registered.event());
        assertEquals(record, registered.state().find(NAME));
        DeltaTable table = tables.table(new TableRef(TENANT, NAME, record.incarnation()));
        assertEquals(0, table.latestVersion(), "the table exists before the registration is recorded");

        CommandResultWithReply<Command, Event, State, Reply> again = register(SPEC);
        assertEquals(new Accepted(record, false), again.reply(), "the same definition again is the same dataset");
        assertTrue(again.hasNoEvents());

        DatasetSpec other = DatasetSpec.of(DatasetDefinition.of(AllTypes.SCHEMA, List.of()));
        Rejected conflict = assertInstanceOf(Rejected.class, register(other).reply());
        assertEquals(Code.ALREADY_EXISTS, conflict.code());
    }

    @Test
    void aWriteTheJournalFailsRestartsTheRegistryWhichThenAnswersFromTheJournal() {
        DatasetRecord record = ((Accepted) register(SPEC).reply()).record();
        MaintenancePolicy policy = new MaintenancePolicy(Duration.ofHours(2), Duration.ofHours(6), Duration.ofDays(7), 30);
        registry.persistenceTestKit().failNextPersisted();
        TestProbe<Reply> lost = actors.createTestProbe();
        registry.runCommand(new DatasetRegistry.UpdatePolicy(NAME, policy, lost.ref()));
        lost.expectNoMessage(Duration.ofMillis(200));

        // Stopped, the registry would not answer this; restarted, it recovered what the journal holds.
        assertEquals(record, registry.<DatasetRegistry.Found>runCommand(replyTo -> new DatasetRegistry.Get(NAME, replyTo))
                .reply().record());
        assertEquals(policy, ((Accepted) registry.<Reply>runCommand(replyTo -> new DatasetRegistry.UpdatePolicy(NAME, policy, replyTo))
                .reply()).record().policy());
    }

    @Test
    void anInvalidDefinitionIsRejectedWithoutAnEvent() {
        DatasetSpec broken = new DatasetSpec("not json", List.of(), null, List.of(), List.of(), List.of(), 0, 3, List.of());
        CommandResultWithReply<Command, Event, State, Reply> result = register(broken);
        Rejected rejected = assertInstanceOf(Rejected.class, result.reply());
        assertEquals(Code.INVALID_ARGUMENT, rejected.code());
        assertEquals("schema", rejected.field());
        assertTrue(result.hasNoEvents());
    }

    @Test
    void changesToAnUnknownDatasetAreNotFound() {
        MaintenancePolicy policy = new MaintenancePolicy(Duration.ofHours(2), Duration.ofHours(6), Duration.ofDays(7), 30);
        for (Reply reply : List.of(
                registry.<Reply>runCommand(replyTo -> new DatasetRegistry.UpdatePolicy(NAME, policy, replyTo)).reply(),
                registry.<Reply>runCommand(replyTo -> new DatasetRegistry.RecordSchema(NAME, SPEC, replyTo)).reply(),
                registry.<Reply>runCommand(replyTo -> new DatasetRegistry.Drop(NAME, replyTo)).reply())) {
            assertEquals(Code.NOT_FOUND, assertInstanceOf(Rejected.class, reply).code());
        }
    }

    @Test
    void aPolicyChangeAndADropAreRecordedWithTheTimeOfTheCommand() {
        DatasetRecord record = ((Accepted) register(SPEC).reply()).record();
        MaintenancePolicy policy = new MaintenancePolicy(Duration.ofHours(2), Duration.ofHours(6), Duration.ofDays(7), 30);
        CommandResultWithReply<Command, Event, State, Reply> updated =
                registry.runCommand(replyTo -> new DatasetRegistry.UpdatePolicy(NAME, policy, replyTo));
        assertEquals(new DatasetRegistry.PolicyUpdated(NAME, policy), updated.event());
        assertEquals(policy, ((Accepted) updated.reply()).record().policy());

        clock.advance(Duration.ofMinutes(7));
        CommandResultWithReply<Command, Event, State, Reply> dropped =
                registry.runCommand(replyTo -> new DatasetRegistry.Drop(NAME, replyTo));
        Instant droppedAt = START.plus(Duration.ofMinutes(7));
        assertEquals(new DatasetRegistry.Dropped(NAME, droppedAt), dropped.event());
        assertEquals(droppedAt, ((Accepted) dropped.reply()).record().droppedAt());
        assertNull(registry.<DatasetRegistry.Found>runCommand(replyTo -> new DatasetRegistry.Get(NAME, replyTo)).reply().record());
        assertEquals(List.of(record.withPolicy(policy).droppedAt(droppedAt)), dropped.state().dropped());

        CommandResultWithReply<Command, Event, State, Reply> purged =
                registry.runCommand(replyTo -> new DatasetRegistry.MarkPurged(NAME, record.incarnation(), replyTo));
        assertEquals(new DatasetRegistry.Purged(NAME, record.incarnation()), purged.event());
        assertTrue(purged.state().dropped().isEmpty());
    }

    @Test
    void theStateRecoveredFromTheJournalIsTheStateBeforeTheRestart() {
        register(SPEC);
        DatasetName second = DatasetName.parse("obs.logs.audit");
        registry.<Reply>runCommand(replyTo -> new DatasetRegistry.Register(second, SPEC, MaintenancePolicy.defaults(), replyTo));
        clock.advance(Duration.ofHours(1));
        registry.<Reply>runCommand(replyTo -> new DatasetRegistry.Drop(second, replyTo));
        State before = registry.getState();

        clock.advance(Duration.ofDays(3));
        assertEquals(before, registry.restart().state());
        List<DatasetRecord> listed = registry.<DatasetRegistry.Datasets>runCommand(DatasetRegistry.ListDatasets::new).reply().records();
        assertEquals(List.of(NAME), listed.stream().map(DatasetRecord::name).toList());
        assertNull(listed.get(0).droppedAt());
    }

    @Test
    void adoptingReadsTheTableWhereItIsAndRecordsItsLocation() throws Exception {
        Path elsewhere = dir.resolve("import/acme/t");
        DeltaTable.create(StorageRoot.local(dir.resolve("import")), elsewhere.toUri(),
                DatasetDefinition.of(AllTypes.SCHEMA, List.of("region")), TableSettings.defaults());
        String location = elsewhere.toUri().toString();
        CommandResultWithReply<Command, Event, State, Reply> adopted = adopt(NAME, location);
        DatasetRecord record = assertInstanceOf(Accepted.class, adopted.reply()).record();
        assertEquals(location, record.location());
        assertEquals(SPEC.fingerprint(), record.spec().fingerprint(), "the table's columns and partitions");
        assertNull(record.readOnlyReason(), "a table Lakeshard writes");
        assertEquals(new DatasetRegistry.Registered(record), adopted.event());
        assertEquals(record, registry.restart().state().find(NAME), "recovered with its location");
        assertEquals(new Accepted(record, false), adopt(NAME, location).reply(), "adopting it again is the same dataset");

        DatasetName other = DatasetName.parse("obs.logs.copy");
        Rejected twice = assertInstanceOf(Rejected.class, adopt(other, location).reply());
        assertEquals(Code.ALREADY_EXISTS, twice.code());
        assertEquals("location", twice.field());
        CommandResultWithReply<Command, Event, State, Reply> missing = adopt(other, dir.resolve("import/acme/none").toUri() + "/");
        assertEquals("location", assertInstanceOf(Rejected.class, missing.reply()).field());
        assertTrue(missing.hasNoEvents());

        assertInstanceOf(Accepted.class, registry.<Reply>runCommand(replyTo -> new DatasetRegistry.Drop(NAME, replyTo)).reply());
        assertFalse(tables.purge(record.ref()).get(), "a purge forgets an adopted table");
        assertEquals(0, DeltaTable.at(StorageRoot.local(dir), elsewhere.toUri()).latestVersion(), "and leaves it where it was");
    }

    private CommandResultWithReply<Command, Event, State, Reply> adopt(DatasetName name, String location) {
        return registry.runCommand(replyTo -> new DatasetRegistry.Adopt(name, location, null, MaintenancePolicy.defaults(), replyTo));
    }

    private CommandResultWithReply<Command, Event, State, Reply> register(DatasetSpec spec) {
        return registry.runCommand(replyTo -> new DatasetRegistry.Register(NAME, spec, MaintenancePolicy.defaults(), replyTo));
    }
}
