package io.lakeshard.server.grpc;

import static java.util.Objects.requireNonNull;

import akka.grpc.javadsl.Metadata;
import io.lakeshard.api.v1.Dataset;
import io.lakeshard.api.v1.DatasetServicePowerApi;
import io.lakeshard.api.v1.DropDatasetRequest;
import io.lakeshard.api.v1.DropDatasetResponse;
import io.lakeshard.api.v1.EvolveSchemaRequest;
import io.lakeshard.api.v1.GetDatasetRequest;
import io.lakeshard.api.v1.ListDatasetsRequest;
import io.lakeshard.api.v1.ListDatasetsResponse;
import io.lakeshard.api.v1.RegisterDatasetRequest;
import io.lakeshard.api.v1.UpdatePolicyRequest;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.service.datasets.DatasetInfo;
import io.lakeshard.service.datasets.Datasets;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import io.lakeshard.storage.dataset.WriterOptions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

/** DatasetService over gRPC. */
public final class DatasetGrpc implements DatasetServicePowerApi {
    private final Datasets datasets;
    private final ApiKeys keys;
    private final BufferAllocator allocator;

    public DatasetGrpc(Datasets datasets, ApiKeys keys, BufferAllocator allocator) {
        this.datasets = requireNonNull(datasets, "datasets is null");
        this.keys = requireNonNull(keys, "keys is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
    }

    @Override
    public CompletionStage<Dataset> registerDataset(RegisterDatasetRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            var principal = Callers.principal(keys, metadata);
            DatasetName name = DatasetName.parse(in.getName());
            MaintenancePolicy policy = in.hasPolicy() ? policy(in.getPolicy()) : MaintenancePolicy.defaults();
            if (!in.getLocation().isEmpty()) {
                Optional<Schema> schema = in.getArrowSchema().isEmpty() ? Optional.empty()
                        : Optional.of(ArrowIpc.schema(in.getArrowSchema(), "arrow_schema", allocator));
                return datasets.adopt(principal, name, new Datasets.Adoption(in.getLocation(), schema, in.getPartitionColumnsList(),
                        optional(in.getEventTimeColumn()), options(in.getOptions()), policy)).thenApply(this::toProto);
            }
            DatasetDefinition definition = new DatasetDefinition(ArrowIpc.schema(in.getArrowSchema(), "arrow_schema", allocator),
                    in.getPartitionColumnsList(), optional(in.getEventTimeColumn()), options(in.getOptions()));
            return datasets.register(principal, name, definition, policy).thenApply(this::toProto);
        });
    }

    @Override
    public CompletionStage<Dataset> getDataset(GetDatasetRequest in, Metadata metadata) {
        return Errors.guarded(() -> datasets.get(Callers.principal(keys, metadata), DatasetName.parse(in.getName()))
                .thenApply(this::toProto));
    }

    @Override
    public CompletionStage<ListDatasetsResponse> listDatasets(ListDatasetsRequest in, Metadata metadata) {
        return Errors.guarded(() -> datasets.list(Callers.principal(keys, metadata))
                .thenApply(all -> ListDatasetsResponse.newBuilder().addAllDatasets(all.stream().map(this::toProto).toList()).build()));
    }

    @Override
    public CompletionStage<Dataset> updatePolicy(UpdatePolicyRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            var principal = Callers.principal(keys, metadata);
            return datasets.updatePolicy(principal, DatasetName.parse(in.getName()), policy(in.getPolicy())).thenApply(this::toProto);
        });
    }

    @Override
    public CompletionStage<Dataset> evolveSchema(EvolveSchemaRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            var principal = Callers.principal(keys, metadata);
            return datasets.addColumns(principal, DatasetName.parse(in.getName()),
                    ArrowIpc.schema(in.getArrowColumns(), "arrow_columns", allocator).getFields()).thenApply(this::toProto);
        });
    }

    @Override
    public CompletionStage<DropDatasetResponse> dropDataset(DropDatasetRequest in, Metadata metadata) {
        return Errors.guarded(() -> datasets.drop(Callers.principal(keys, metadata), DatasetName.parse(in.getName()))
                .thenApply(purgeAfter -> DropDatasetResponse.newBuilder().setPurgeAfterMillis(purgeAfter.toMillis()).build()));
    }

    private Dataset toProto(DatasetInfo dataset) {
        DatasetDefinition definition = dataset.definition();
        WriterOptions options = definition.writerOptions();
        MaintenancePolicy policy = dataset.policy();
        return Dataset.newBuilder()
                .setName(dataset.name().toString())
                .setArrowSchema(ArrowIpc.schema(definition.userSchema(), allocator))
                .addAllPartitionColumns(definition.partitionColumns())
                .setEventTimeColumn(definition.eventTimeColumn().orElse(""))
                .setOptions(io.lakeshard.api.v1.WriterOptions.newBuilder()
                        .addAllBloomFilterColumns(options.bloomFilterColumns())
                        .addAllSortColumns(options.sortColumns())
                        .addAllZOrderColumns(options.zOrderColumns())
                        .addAllUniqueKeyColumns(options.uniqueKeyColumns())
                        .setTargetFileSizeBytes(options.targetFileSizeBytes())
                        .setCompressionLevel(options.compressionLevel()))
                .setPolicy(io.lakeshard.api.v1.MaintenancePolicy.newBuilder()
                        .setOptimizeEverySeconds(policy.optimizeEvery().toSeconds())
                        .setVacuumEverySeconds(policy.vacuumEvery().toSeconds())
                        .setVacuumRetentionSeconds(policy.vacuumRetention().toSeconds())
                        .setRetentionDays(policy.retentionDays()))
                .setRegisteredAtMillis(dataset.registeredAt().toEpochMilli())
                .setCreated(dataset.created())
                .setLocation(dataset.location().orElse(""))
                .setReadOnly(dataset.readOnlyReason().isPresent())
                .setReadOnlyReason(dataset.readOnlyReason().orElse(""))
                .build();
    }

    private static WriterOptions options(io.lakeshard.api.v1.WriterOptions options) {
        WriterOptions defaults = WriterOptions.defaults();
        return new WriterOptions(options.getBloomFilterColumnsList(), options.getSortColumnsList(), options.getZOrderColumnsList(),
                options.getTargetFileSizeBytes() == 0 ? defaults.targetFileSizeBytes() : options.getTargetFileSizeBytes(),
                options.getCompressionLevel() == 0 ? defaults.compressionLevel() : options.getCompressionLevel(),
                options.getUniqueKeyColumnsList());
    }

    private static MaintenancePolicy policy(io.lakeshard.api.v1.MaintenancePolicy policy) {
        MaintenancePolicy defaults = MaintenancePolicy.defaults();
        return new MaintenancePolicy(
                policy.getOptimizeEverySeconds() == 0 ? defaults.optimizeEvery() : Duration.ofSeconds(policy.getOptimizeEverySeconds()),
                policy.getVacuumEverySeconds() == 0 ? defaults.vacuumEvery() : Duration.ofSeconds(policy.getVacuumEverySeconds()),
                policy.getVacuumRetentionSeconds() == 0 ? defaults.vacuumRetention() : Duration.ofSeconds(policy.getVacuumRetentionSeconds()),
                policy.getRetentionDays());
    }

    private static Optional<String> optional(String value) {
        return value.isEmpty() ? Optional.empty() : Optional.of(value);
    }
}
