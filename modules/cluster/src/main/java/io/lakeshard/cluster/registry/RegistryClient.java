package io.lakeshard.cluster.registry;

import static java.util.Objects.requireNonNull;

import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.EntityRef;
import io.lakeshard.cluster.ResendingAsk;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/** Asks a tenant's registry entity, wherever in the cluster it runs. */
public final class RegistryClient {
    private final ClusterSharding sharding;
    private final Duration timeout;
    private final ResendingAsk reads;

    /** @param resendReads how often a read is asked again while unanswered ({@link ResendingAsk}) */
    public RegistryClient(ActorSystem<?> system, Duration timeout, Duration resendReads) {
        this.sharding = ClusterSharding.get(system);
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.reads = ResendingAsk.whileMembersFail(system, timeout, resendReads);
    }

    private EntityRef<DatasetRegistry.Command> registry(String tenant) {
        return sharding.entityRefFor(DatasetRegistry.ENTITY_KEY, tenant);
    }

    public CompletionStage<DatasetRegistry.Reply> register(String tenant, DatasetName name, DatasetSpec spec, MaintenancePolicy policy) {
        return registry(tenant).ask(replyTo -> new DatasetRegistry.Register(name, spec, policy, replyTo), timeout);
    }

    /** @param requested the definition the caller expects, or null to take the table's */
    public CompletionStage<DatasetRegistry.Reply> adopt(String tenant, DatasetName name, String location, DatasetSpec requested,
            MaintenancePolicy policy) {
        return registry(tenant).ask(replyTo -> new DatasetRegistry.Adopt(name, location, requested, policy, replyTo), timeout);
    }

    public CompletionStage<Optional<DatasetRecord>> get(String tenant, DatasetName name) {
        return reads.<DatasetRegistry.Command, DatasetRegistry.Found>ask(registry(tenant), replyTo -> new DatasetRegistry.Get(name, replyTo))
                .thenApply(found -> Optional.ofNullable(found.record()));
    }

    public CompletionStage<List<DatasetRecord>> list(String tenant) {
        return reads.ask(registry(tenant), DatasetRegistry.ListDatasets::new).thenApply(DatasetRegistry.Datasets::records);
    }

    public CompletionStage<DatasetRegistry.Reply> updatePolicy(String tenant, DatasetName name, MaintenancePolicy policy) {
        return registry(tenant).ask(replyTo -> new DatasetRegistry.UpdatePolicy(name, policy, replyTo), timeout);
    }

    public CompletionStage<DatasetRegistry.Reply> recordSchema(String tenant, DatasetName name, DatasetSpec spec) {
        return registry(tenant).ask(replyTo -> new DatasetRegistry.RecordSchema(name, spec, replyTo), timeout);
    }

    public CompletionStage<DatasetRegistry.Reply> markPurged(String tenant, DatasetName name, String incarnation) {
        return registry(tenant).ask(replyTo -> new DatasetRegistry.MarkPurged(name, incarnation, replyTo), timeout);
    }

    public CompletionStage<DatasetRegistry.Reply> drop(String tenant, DatasetName name) {
        return registry(tenant).ask(replyTo -> new DatasetRegistry.Drop(name, replyTo), timeout);
    }
}
