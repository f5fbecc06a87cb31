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
import io.lakeshard.cluster.node.LakeshardNode;
import io.lakeshard.cluster.registry.DatasetRecord;
import io.lakeshard.cluster.registry.DatasetRegistry;
import io.lakeshard.cluster.registry.DatasetSpec;
import io.lakeshard.cluster.registry.MaintenancePolicy;
import io.lakeshard.query.UnknownTableException;
import io.lakeshard.server.auth.ApiKeys;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.WriterOptions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.arrow.memory.BufferAllocator;

/** DatasetService: a tenant's datasets, through the registry. */
public final class DatasetGrpc implements DatasetServicePowerApi {
    private final LakeshardNode node;
    private final ApiKeys keys;
    private final BufferAllocator allocator;
    private final Duration purgeAfter;

    public DatasetGrpc(LakeshardNode node, ApiKeys keys, BufferAllocator allocator, Duration purgeAfter) {
        this.node = requireNonNull(node, "node is null");
        this.keys = requireNonNull(keys, "keys is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.purgeAfter = requireNonNull(purgeAfter, "purgeAfter is null");
    }

    @Override
    public CompletionStage<Dataset> registerDataset(RegisterDatasetRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            String tenant = keys.authenticate(metadata).tenant();
            DatasetName name = DatasetName.parse(in.getName());
            DatasetDefinition definition = new DatasetDefinition(ArrowIpc.schema(in.getArrowSchema(), "arrow_schema", allocator),
                    in.getPartitionColumnsList(), optional(in.getEventTimeColumn()), options(in.getOptions()));
            MaintenancePolicy policy = in.hasPolicy() ? policy(in.getPolicy()) : MaintenancePolicy.defaults();
            return node.registry().register(tenant, name, DatasetSpec.of(definition), policy).thenApply(reply -> {
                if (reply instanceof DatasetRegistry.Accepted accepted) {
                    return toProto(accepted.record()).toBuilder().setCreated(accepted.created()).build();
                }
                throw Errors.rejected((DatasetRegistry.Rejected) reply);
            });
        });
    }

    @Override
    public CompletionStage<Dataset> getDataset(GetDatasetRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            String tenant = keys.authenticate(metadata).tenant();
            DatasetName name = DatasetName.parse(in.getName());
            return node.registry().get(tenant, name).thenApply(record -> toProto(record.orElseThrow(
                    () -> new UnknownTableException("dataset " + name + " does not exist"))));
        });
    }

    @Override
    public CompletionStage<ListDatasetsResponse> listDatasets(ListDatasetsRequest in, Metadata metadata) {
        return Errors.guarded(() -> node.registry().list(keys.authenticate(metadata).tenant())
                .thenApply(records -> ListDatasetsResponse.newBuilder().addAllDatasets(records.stream().map(this::toProto).toList()).build()));
    }

    @Override
    public CompletionStage<Dataset> updatePolicy(UpdatePolicyRequest in, Metadata metadata) {
        return Errors.guarded(() -> node.datasets().updatePolicy(keys.authenticate(metadata).tenant(), DatasetName.parse(in.getName()),
                policy(in.getPolicy())).thenApply(this::toProto));
    }

    @Override
    public CompletionStage<Dataset> evolveSchema(EvolveSchemaRequest in, Metadata metadata) {
        return Errors.guarded(() -> node.datasets().addColumns(keys.authenticate(metadata).tenant(), DatasetName.parse(in.getName()),
                ArrowIpc.schema(in.getArrowColumns(), "arrow_columns", allocator).getFields()).thenApply(this::toProto));
    }

    @Override
    public CompletionStage<DropDatasetResponse> dropDataset(DropDatasetRequest in, Metadata metadata) {
        return Errors.guarded(() -> node.datasets().drop(keys.authenticate(metadata).tenant(), DatasetName.parse(in.getName()))
                .thenApply(record -> DropDatasetResponse.newBuilder().setPurgeAfterMillis(purgeAfter.toMillis()).build()));
    }

    private Dataset toProto(DatasetRecord record) {
        DatasetDefinition definition = record.spec().toDefinition();
        WriterOptions options = definition.writerOptions();
        MaintenancePolicy policy = record.policy();
        return Dataset.newBuilder()
                .setName(record.name().toString())
                .setArrowSchema(ArrowIpc.schema(definition.userSchema(), allocator))
                .addAllPartitionColumns(definition.partitionColumns())
                .setEventTimeColumn(definition.eventTimeColumn().orElse(""))
                .setOptions(io.lakeshard.api.v1.WriterOptions.newBuilder()
                        .addAllBloomFilterColumns(options.bloomFilterColumns())
                        .addAllSortColumns(options.sortColumns())
                        .addAllZOrderColumns(options.zOrderColumns())
                        .setTargetFileSizeBytes(options.targetFileSizeBytes())
                        .setCompressionLevel(options.compressionLevel()))
                .setPolicy(io.lakeshard.api.v1.MaintenancePolicy.newBuilder()
                        .setOptimizeEverySeconds(policy.optimizeEvery().toSeconds())
                        .setVacuumEverySeconds(policy.vacuumEvery().toSeconds())
                        .setVacuumRetentionSeconds(policy.vacuumRetention().toSeconds())
                        .setRetentionDays(policy.retentionDays()))
                .setRegisteredAtMillis(record.registeredAt().toEpochMilli())
                .build();
    }

    private static WriterOptions options(io.lakeshard.api.v1.WriterOptions options) {
        WriterOptions defaults = WriterOptions.defaults();
        return new WriterOptions(options.getBloomFilterColumnsList(), options.getSortColumnsList(), options.getZOrderColumnsList(),
                options.getTargetFileSizeBytes() == 0 ? defaults.targetFileSizeBytes() : options.getTargetFileSizeBytes(),
                options.getCompressionLevel() == 0 ? defaults.compressionLevel() : options.getCompressionLevel());
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
