package io.lakeshard.cluster.registry;

import static java.util.Objects.requireNonNull;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.persistence.typed.PersistenceId;
import akka.persistence.typed.javadsl.CommandHandler;
import akka.persistence.typed.javadsl.Effect;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehavior;
import akka.persistence.typed.javadsl.RetentionCriteria;
import io.lakeshard.cluster.CborSerializable;
import io.lakeshard.cluster.Failures;
import io.lakeshard.cluster.JournalBackoff;
import io.lakeshard.cluster.table.TableStore;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.TableSnapshot;
import io.lakeshard.storage.table.UnsupportedTableFeatureException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A tenant's datasets, event-sourced: one sharded entity per tenant, so every node asks the same single source and a
 * registration is visible everywhere once acknowledged. Registering creates the dataset's Delta table before the
 * event is persisted, so a registered dataset always has a table; adopting one reads the table that is there.
 */
public final class DatasetRegistry extends EventSourcedBehavior<DatasetRegistry.Command, DatasetRegistry.Event, DatasetRegistry.State> {
    public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "DatasetRegistry");
    /** Every registry event carries this tag, so the maintenance scheduler can follow all tenants' datasets. */
    public static final String TAG = "dataset-registry";

    public sealed interface Command extends CborSerializable {}

    public record Register(DatasetName name, DatasetSpec spec, MaintenancePolicy policy, ActorRef<Reply> replyTo) implements Command {}

    /**
     * Registers the Delta table at {@code location} as it is: its schema and partitions become the dataset's.
     *
     * @param requested the definition the caller expects, or null to take the table's; one that differs is refused
     */
    public record Adopt(DatasetName name, String location, DatasetSpec requested, MaintenancePolicy policy, ActorRef<Reply> replyTo)
            implements Command {}

    public record Get(DatasetName name, ActorRef<Found> replyTo) implements Command {}

    public record ListDatasets(ActorRef<Datasets> replyTo) implements Command {}

    /** The reply to {@link Get}; {@code record} is null when there is no such dataset. */
    public record Found(DatasetRecord record) implements CborSerializable {}

    /** The reply to {@link ListDatasets}. */
    public record Datasets(List<DatasetRecord> records) implements CborSerializable {}

    public record UpdatePolicy(DatasetName name, MaintenancePolicy policy, ActorRef<Reply> replyTo) implements Command {}

    /** Records a schema the table already has: the table's writer evolved it. */
    public record RecordSchema(DatasetName name, DatasetSpec spec, ActorRef<Reply> replyTo) implements Command {}

    public record Drop(DatasetName name, ActorRef<Reply> replyTo) implements Command {}

    public record MarkPurged(DatasetName name, String incarnation, ActorRef<Reply> replyTo) implements Command {}

    private record TableCreated(Register request, DatasetRecord record) implements Command {}

    private record TableCreationFailed(ActorRef<Reply> replyTo, Throwable error) implements Command {}

    private record TableAdopted(Adopt request, DatasetRecord record, TableSnapshot table) implements Command {}

    public sealed interface Reply extends CborSerializable {}

    /** @param created false when an identical registration already existed */
    public record Accepted(DatasetRecord record, boolean created) implements Reply {}

    public record Rejected(Code code, String field, String message) implements Reply {}

    public enum Code { INVALID_ARGUMENT, ALREADY_EXISTS, NOT_FOUND, FAILED_PRECONDITION, UNAVAILABLE }

    public sealed interface Event extends CborSerializable {}

    public record Registered(DatasetRecord record) implements Event {}

    public record PolicyUpdated(DatasetName name, MaintenancePolicy policy) implements Event {}

    public record SchemaRecorded(DatasetName name, DatasetSpec spec) implements Event {}

    public record Dropped(DatasetName name, Instant at) implements Event {}

    public record Purged(DatasetName name, String incarnation) implements Event {}

    /**
     * Live datasets by qualified name, and dropped ones awaiting purge. The map is keyed by the name's text: a
     * snapshot's CBOR can carry that back as a map key, which it cannot do for a {@link DatasetName}.
     */
    public record State(Map<String, DatasetRecord> live, List<DatasetRecord> dropped) implements CborSerializable {
        static State empty() {
            return new State(Map.of(), List.of());
        }

        /** The live dataset of that name, or null. */
        DatasetRecord find(DatasetName name) {
            return live.get(name.toString());
        }

        State with(DatasetRecord record) {
            Map<String, DatasetRecord> next = new HashMap<>(live);
            next.put(record.name().toString(), record);
            return new State(Map.copyOf(next), dropped);
        }

        State drop(DatasetName name, Instant at) {
            Map<String, DatasetRecord> next = new HashMap<>(live);
            DatasetRecord record = next.remove(name.toString());
            List<DatasetRecord> gone = new ArrayList<>(dropped);
            gone.add(record.droppedAt(at));
            return new State(Map.copyOf(next), List.copyOf(gone));
        }

        State purge(String incarnation) {
            return new State(live, dropped.stream().filter(r -> !r.incarnation().equals(incarnation)).toList());
        }
    }

    public static void init(ActorSystem<?> system, TableStore tables, String role, JournalBackoff backoff, Clock clock) {
        ClusterSharding.get(system).init(Entity.of(ENTITY_KEY,
                context -> create(context.getEntityId(), tables, backoff, clock)).withRole(role));
    }

    public static Behavior<Command> create(String tenant, TableStore tables, JournalBackoff backoff, Clock clock) {
        return Behaviors.setup(context -> new DatasetRegistry(context, tenant, tables, backoff, clock));
    }

    private final ActorContext<Command> context;
    private final String tenant;
    private final TableStore tables;
    private final Clock clock;
    // A registration waiting for its table: later commands wait with it, in order.
    private boolean creatingTable;

    private DatasetRegistry(ActorContext<Command> context, String tenant, TableStore tables, JournalBackoff backoff, Clock clock) {
        super(PersistenceId.of(ENTITY_KEY.name(), tenant), backoff.strategy());
        this.context = context;
        this.tenant = requireNonNull(tenant, "tenant is null");
        this.tables = requireNonNull(tables, "tables is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    @Override
    public State emptyState() {
        return State.empty();
    }

    @Override
    public Set<String> tagsFor(Event event) {
        return Set.of(TAG);
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return RetentionCriteria.snapshotEvery(100, 2);
    }

    @Override
    public CommandHandler<Command, Event, State> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(TableCreated.class, this::onTableCreated)
                .onCommand(TableCreationFailed.class, this::onTableCreationFailed)
                .onCommand(TableAdopted.class, this::onTableAdopted)
                .onAnyCommand((state, command) -> creatingTable ? Effect().stash() : handle(state, command));
    }

    private Effect<Event, State> handle(State state, Command command) {
        if (command instanceof Register register) {
            return onRegister(state, register);
        }
        if (command instanceof Adopt adopt) {
            return onAdopt(state, adopt);
        }
        if (command instanceof Get get) {
            return Effect().reply(get.replyTo(), new Found(state.find(get.name())));
        }
        if (command instanceof ListDatasets list) {
            List<DatasetRecord> records = state.live().values().stream()
                    .sorted(Comparator.comparing(r -> r.name().toString())).toList();
            return Effect().reply(list.replyTo(), new Datasets(records));
        }
        if (command instanceof UpdatePolicy update) {
            DatasetRecord record = state.find(update.name());
            if (record == null) {
                return Effect().reply(update.replyTo(), notFound(update.name()));
            }
            if (record.location() != null && update.policy().retentionDays() > 0) {
                return Effect().reply(update.replyTo(), noRetention());
            }
            return Effect().persist(new PolicyUpdated(update.name(), update.policy()))
                    .thenReply(update.replyTo(), s -> new Accepted(s.find(update.name()), false));
        }
        if (command instanceof RecordSchema record) {
            if (state.find(record.name()) == null) {
                return Effect().reply(record.replyTo(), notFound(record.name()));
            }
            return Effect().persist(new SchemaRecorded(record.name(), record.spec()))
                    .thenReply(record.replyTo(), s -> new Accepted(s.find(record.name()), false));
        }
        if (command instanceof Drop drop) {
            if (state.find(drop.name()) == null) {
                return Effect().reply(drop.replyTo(), notFound(drop.name()));
            }
            DatasetRecord record = state.find(drop.name());
            Instant at = clock.instant();
            return Effect().persist(new Dropped(drop.name(), at))
                    .thenReply(drop.replyTo(), s -> new Accepted(record.droppedAt(at), false));
        }
        if (command instanceof MarkPurged purged) {
            return Effect().persist(new Purged(purged.name(), purged.incarnation()))
                    .thenReply(purged.replyTo(), s -> new Accepted(null, false));
        }
        throw new IllegalStateException("unexpected " + command);
    }

    private Effect<Event, State> onRegister(State state, Register register) {
        String fingerprint;
        try {
            fingerprint = register.spec().fingerprint();
        } catch (InvalidInputException e) {
            return Effect().reply(register.replyTo(), new Rejected(Code.INVALID_ARGUMENT, e.field(), e.getMessage()));
        }
        DatasetRecord existing = state.find(register.name());
        if (existing != null) {
            if (existing.spec().fingerprint().equals(fingerprint)) {
                return Effect().reply(register.replyTo(), new Accepted(existing, false));
            }
            return Effect().reply(register.replyTo(), new Rejected(Code.ALREADY_EXISTS, "name",
                    "dataset " + register.name() + " exists with a different definition"));
        }
        DatasetRecord record = new DatasetRecord(tenant, register.name(), UUID.randomUUID().toString(), register.spec(),
                register.policy(), clock.instant(), null, null, null);
        creatingTable = true;
        context.pipeToSelf(tables.create(record.ref(), register.spec().toDefinition()),
                (ok, error) -> error == null ? new TableCreated(register, record) : new TableCreationFailed(register.replyTo(), error));
        return Effect().none();
    }

    /**
     * Adopting the same location under the same name again answers the dataset; another location under the name, or
     * the location under another name (two writers of one table), is a conflict. The table is read before anything is
     * persisted.
     */
    private Effect<Event, State> onAdopt(State state, Adopt adopt) {
        if (adopt.policy().retentionDays() > 0) {
            return Effect().reply(adopt.replyTo(), noRetention());
        }
        DatasetRecord existing = state.find(adopt.name());
        if (existing != null) {
            boolean same = adopt.location().equals(existing.location())
                    && (adopt.requested() == null || adopt.requested().fingerprint().equals(existing.spec().fingerprint()));
            return Effect().reply(adopt.replyTo(), same ? new Accepted(existing, false) : new Rejected(Code.ALREADY_EXISTS, "name",
                    "dataset " + adopt.name() + " exists with a different definition or location"));
        }
        for (DatasetRecord other : state.live().values()) {
            if (adopt.location().equals(other.location())) {
                return Effect().reply(adopt.replyTo(), new Rejected(Code.ALREADY_EXISTS, "location",
                        adopt.location() + " is adopted already, as dataset " + other.name() + ": a table has one writer"));
            }
        }
        DatasetRecord record = new DatasetRecord(tenant, adopt.name(), UUID.randomUUID().toString(), null, adopt.policy(),
                clock.instant(), null, adopt.location(), null);
        creatingTable = true;
        context.pipeToSelf(tables.adopt(record.ref()),
                (table, error) -> error == null ? new TableAdopted(adopt, record, table) : new TableCreationFailed(adopt.replyTo(), error));
        return Effect().none();
    }

    private Effect<Event, State> onTableAdopted(State state, TableAdopted adopted) {
        creatingTable = false;
        Adopt request = adopted.request();
        DatasetSpec spec;
        try {
            spec = DatasetSpec.of(DeltaTable.definitionOf(adopted.table()));
        } catch (InvalidInputException e) {
            return Effect().reply(request.replyTo(), new Rejected(Code.INVALID_ARGUMENT, e.field(),
                    "the table cannot be a dataset: " + e.getMessage())).thenUnstashAll();
        }
        if (request.requested() != null && !request.requested().fingerprint().equals(spec.fingerprint())) {
            return Effect().reply(request.replyTo(), new Rejected(Code.INVALID_ARGUMENT, "arrow_schema",
                    "the table's columns or partitions differ from the ones given: leave them out to take the table's ("
                            + spec.toDefinition().userSchema() + ", partitioned by " + spec.partitionColumns() + ")")).thenUnstashAll();
        }
        DatasetRecord record = new DatasetRecord(tenant, request.name(), adopted.record().incarnation(), spec, request.policy(),
                adopted.record().registeredAt(), null, request.location(), adopted.table().readOnlyReason().orElse(null));
        return Effect().persist(new Registered(record))
                .thenReply(request.replyTo(), s -> new Accepted(record, true))
                .thenUnstashAll();
    }

    private Effect<Event, State> onTableCreated(State state, TableCreated created) {
        creatingTable = false;
        return Effect().persist(new Registered(created.record()))
                .thenReply(created.request().replyTo(), s -> new Accepted(created.record(), true))
                .thenUnstashAll();
    }

    private Effect<Event, State> onTableCreationFailed(State state, TableCreationFailed failed) {
        creatingTable = false;
        Throwable cause = Failures.cause(failed.error());
        Reply reply;
        if (cause instanceof InvalidInputException invalid) {
            reply = new Rejected(Code.INVALID_ARGUMENT, invalid.field(), invalid.getMessage());
        } else if (cause instanceof UnsupportedTableFeatureException unsupported) {
            reply = new Rejected(Code.FAILED_PRECONDITION, "location", unsupported.getMessage());
        } else {
            reply = new Rejected(Code.UNAVAILABLE, "", "the table could not be created or opened: " + cause.getMessage());
        }
        return Effect().reply(failed.replyTo(), reply).thenUnstashAll();
    }

    private static Rejected noRetention() {
        return new Rejected(Code.INVALID_ARGUMENT, "policy.retention_days",
                "retention drops whole days by the partition date Lakeshard adds to the tables it creates; an adopted table has none");
    }

    private static Rejected notFound(DatasetName name) {
        return new Rejected(Code.NOT_FOUND, "name", "dataset " + name + " does not exist");
    }

    @Override
    public EventHandler<State, Event> eventHandler() {
        return newEventHandlerBuilder().forAnyState()
                .onEvent(Registered.class, (state, event) -> state.with(event.record()))
                .onEvent(PolicyUpdated.class, (state, event) -> state.with(state.find(event.name()).withPolicy(event.policy())))
                .onEvent(SchemaRecorded.class, (state, event) -> state.with(state.find(event.name()).withSpec(event.spec())))
                .onEvent(Dropped.class, (state, event) -> state.drop(event.name(), event.at()))
                .onEvent(Purged.class, (state, event) -> state.purge(event.incarnation()))
                .build();
    }
}
