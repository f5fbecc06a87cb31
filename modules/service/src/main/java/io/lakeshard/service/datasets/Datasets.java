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
import io.lakeshard.service.files.TenantDirectories;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.WriterOptions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/** A tenant's datasets: register or adopt, look up, list, change the policy or the columns, drop. */
public final class Datasets {
    private final RegistryClient registry;
    private final DatasetService datasets;
    private final TenantDirectories importDirectories;
    private final Duration purgeAfter;

    /** @param importDirectories where a tenant may adopt tables: its directories of the import roots */
    public Datasets(RegistryClient registry, DatasetService datasets, TenantDirectories importDirectories, Duration purgeAfter) {
        this.registry = requireNonNull(registry, "registry is null");
        this.datasets = requireNonNull(datasets, "datasets is null");
        this.importDirectories = requireNonNull(importDirectories, "importDirectories is null");
        this.purgeAfter = requireNonNull(purgeAfter, "purgeAfter is null");
    }

    /**
     * What adopting a table asks for beside its location: nothing, or the columns and partitions the caller expects it
     * to have. The event time and writer options are Lakeshard's own, which a table another engine wrote does not have.
     */
    public record Adoption(String location, Optional<Schema> schema, List<String> partitionColumns, Optional<String> eventTimeColumn,
            WriterOptions writerOptions, MaintenancePolicy policy) {
        public Adoption {
            requireNonNull(location, "location is null");
            requireNonNull(schema, "schema is null");
            partitionColumns = List.copyOf(requireNonNull(partitionColumns, "partitionColumns is null"));
            requireNonNull(eventTimeColumn, "eventTimeColumn is null");
            requireNonNull(writerOptions, "writerOptions is null");
            requireNonNull(policy, "policy is null");
        }
    }

    /**
     * Registers the Delta table at a location in the tenant's import directory as it is, without copying it: its
     * schema and partitions are the dataset's, and it is written only if its protocol is one Lakeshard writes.
     * Dropping it forgets it and leaves its files alone.
     */
    public CompletionStage<DatasetInfo> adopt(Principal principal, DatasetName name, Adoption adoption) {
        String location = importDirectories.directory(principal.tenant(), adoption.location(), "location");
        if (adoption.eventTimeColumn().isPresent()) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "event_time_column: an adopted table is partitioned as it is; leave it empty");
        }
        if (!adoption.writerOptions().equals(WriterOptions.defaults())) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "options: an adopted table is written with the default writer options");
        }
        if (adoption.schema().isEmpty() && !adoption.partitionColumns().isEmpty()) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "partition_columns: the table's own; give them only with arrow_schema, to check");
        }
        DatasetSpec requested = adoption.schema()
                .map(schema -> DatasetSpec.of(DatasetDefinition.of(schema, adoption.partitionColumns())))
                .orElse(null);
        return audited(principal, "adopt", name, registry.adopt(principal.tenant(), name, location, requested, adoption.policy())
                .thenApply(Datasets::accepted));
    }

    /** Registers a dataset; registering the same definition again answers the existing one, {@code created} false. */
    public CompletionStage<DatasetInfo> register(Principal principal, DatasetName name, DatasetDefinition definition,
            MaintenancePolicy policy) {
        return audited(principal, "register", name, registry.register(principal.tenant(), name, DatasetSpec.of(definition), policy)
                .thenApply(Datasets::accepted));
    }

    private static DatasetInfo accepted(DatasetRegistry.Reply reply) {
        if (reply instanceof DatasetRegistry.Accepted accepted) {
            return info(accepted.record(), accepted.created());
        }
        throw rejected((DatasetRegistry.Rejected) reply);
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
        return new DatasetInfo(record.name(), record.spec().toDefinition(), record.policy(), record.registeredAt(), created,
                Optional.ofNullable(record.location()), Optional.ofNullable(record.readOnlyReason()));
    }

    private static ServiceException rejected(DatasetRegistry.Rejected rejected) {
        Code code = switch (rejected.code()) {
            case INVALID_ARGUMENT -> Code.INVALID_ARGUMENT;
            case ALREADY_EXISTS -> Code.ALREADY_EXISTS;
            case NOT_FOUND -> Code.NOT_FOUND;
            case FAILED_PRECONDITION -> Code.FAILED_PRECONDITION;
            case UNAVAILABLE -> Code.UNAVAILABLE;
        };
        return new ServiceException(code, rejected.message());
    }
}
