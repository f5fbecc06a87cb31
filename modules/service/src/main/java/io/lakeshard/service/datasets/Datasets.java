package io.lakeshard.service.datasets;

import static java.util.Objects.requireNonNull;

import io.lakeshard.cluster.registry.DatasetRecord;
import io.lakeshard.cluster.registry.DatasetRegistry;
import io.lakeshard.cluster.registry.DatasetService;
import io.lakeshard.cluster.registry.DatasetSpec;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import io.lakeshard.cluster.registry.RegistryClient;
import io.lakeshard.query.UnknownTableException;
import io.lakeshard.service.Audit;
import io.lakeshard.service.Principal;
import io.lakeshard.service.ServiceException;
import io.lakeshard.service.ServiceException.Code;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.arrow.vector.types.pojo.Field;

/** A tenant's datasets: register, look up, list, change the policy or the columns, drop. */
public final class Datasets {
    private final RegistryClient registry;
    private final DatasetService datasets;
    private final Duration purgeAfter;

    public Datasets(RegistryClient registry, DatasetService datasets, Duration purgeAfter) {
        this.registry = requireNonNull(registry, "registry is null");
        this.datasets = requireNonNull(datasets, "datasets is null");
        this.purgeAfter = requireNonNull(purgeAfter, "purgeAfter is null");
    }

    /** Registers a dataset; registering the same definition again answers the existing one, {@code created} false. */
    public CompletionStage<DatasetInfo> register(Principal principal, DatasetName name, DatasetDefinition definition,
            MaintenancePolicy policy) {
        return audited(principal, "register", name, registry.register(principal.tenant(), name, DatasetSpec.of(definition), policy)
                .thenApply(reply -> {
                    if (reply instanceof DatasetRegistry.Accepted accepted) {
                        return info(accepted.record(), accepted.created());
                    }
                    throw rejected((DatasetRegistry.Rejected) reply);
                }));
    }

    public CompletionStage<DatasetInfo> get(Principal principal, DatasetName name) {
        return registry.get(principal.tenant(), name).thenApply(record -> info(record.orElseThrow(
                () -> new UnknownTableException("dataset " + name + " does not exist")), false));
    }

    public CompletionStage<List<DatasetInfo>> list(Principal principal) {
        return registry.list(principal.tenant()).thenApply(records -> records.stream().map(record -> info(record, false)).toList());
    }

    public CompletionStage<DatasetInfo> updatePolicy(Principal principal, DatasetName name, MaintenancePolicy policy) {
        return audited(principal, "update-policy", name,
                datasets.updatePolicy(principal.tenant(), name, policy).thenApply(record -> info(record, false)));
    }

    /** Adds nullable columns. */
    public CompletionStage<DatasetInfo> addColumns(Principal principal, DatasetName name, List<Field> columns) {
        return audited(principal, "add-columns", name,
                datasets.addColumns(principal.tenant(), name, columns).thenApply(record -> info(record, false)));
    }

    /** Drops a dataset; answers how long its files stay before they are purged. */
    public CompletionStage<Duration> drop(Principal principal, DatasetName name) {
        return audited(principal, "drop", name, datasets.drop(principal.tenant(), name).thenApply(record -> purgeAfter));
    }

    private static <T> CompletionStage<T> audited(Principal principal, String action, DatasetName name, CompletionStage<T> stage) {
        return Audit.audited(principal, action, name.toString(), stage);
    }

    private static DatasetInfo info(DatasetRecord record, boolean created) {
        return new DatasetInfo(record.name(), record.spec().toDefinition(), record.policy(), record.registeredAt(), created);
    }

    private static ServiceException rejected(DatasetRegistry.Rejected rejected) {
        Code code = switch (rejected.code()) {
            case INVALID_ARGUMENT -> Code.INVALID_ARGUMENT;
            case ALREADY_EXISTS -> Code.ALREADY_EXISTS;
            case NOT_FOUND -> Code.NOT_FOUND;
            case UNAVAILABLE -> Code.UNAVAILABLE;
        };
        return new ServiceException(code, rejected.message());
    }
}
