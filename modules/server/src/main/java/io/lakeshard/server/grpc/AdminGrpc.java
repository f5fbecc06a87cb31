package io.lakeshard.server.grpc;

import static java.util.Objects.requireNonNull;

import akka.grpc.javadsl.Metadata;
import io.lakeshard.api.v1.AdminServicePowerApi;
import io.lakeshard.api.v1.ClusterStatusRequest;
import io.lakeshard.api.v1.ClusterStatusResponse;
import io.lakeshard.api.v1.DeleteRowsRequest;
import io.lakeshard.api.v1.DeleteRowsResponse;
import io.lakeshard.api.v1.ListTasksRequest;
import io.lakeshard.api.v1.ListTasksResponse;
import io.lakeshard.api.v1.MaintenanceRequest;
import io.lakeshard.api.v1.MaintenanceResponse;
import io.lakeshard.api.v1.Member;
import io.lakeshard.api.v1.Task;
import io.lakeshard.api.v1.WriterShards;
import io.lakeshard.service.Principal;
import io.lakeshard.service.admin.Admin;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.storage.dataset.DatasetName;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/** AdminService over gRPC. */
public final class AdminGrpc implements AdminServicePowerApi {
    private final Admin admin;
    private final ApiKeys keys;

    public AdminGrpc(Admin admin, ApiKeys keys) {
        this.admin = requireNonNull(admin, "admin is null");
        this.keys = requireNonNull(keys, "keys is null");
    }

    /** One maintenance call of the admin use case. */
    @FunctionalInterface
    private interface Maintenance {
        CompletionStage<String> run(Principal principal, DatasetName name, Optional<Duration> timeout);
    }

    @Override
    public CompletionStage<MaintenanceResponse> optimize(MaintenanceRequest in, Metadata metadata) {
        return maintenance(in, metadata, admin::optimize);
    }

    @Override
    public CompletionStage<MaintenanceResponse> vacuum(MaintenanceRequest in, Metadata metadata) {
        return maintenance(in, metadata, admin::vacuum);
    }

    @Override
    public CompletionStage<MaintenanceResponse> expire(MaintenanceRequest in, Metadata metadata) {
        return maintenance(in, metadata, admin::expire);
    }

    private CompletionStage<MaintenanceResponse> maintenance(MaintenanceRequest in, Metadata metadata, Maintenance call) {
        return Errors.guarded(() -> {
            Principal principal = Callers.principal(keys, metadata);
            Optional<Duration> timeout = in.getTimeoutMillis() > 0 ? Optional.of(Duration.ofMillis(in.getTimeoutMillis())) : Optional.empty();
            return call.run(principal, DatasetName.parse(in.getDataset()), timeout)
                    .thenApply(outcome -> MaintenanceResponse.newBuilder().setOutcome(outcome).build());
        });
    }

    @Override
    public CompletionStage<DeleteRowsResponse> deleteRows(DeleteRowsRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            Principal principal = Callers.principal(keys, metadata);
            return admin.deleteRows(principal, DatasetName.parse(in.getDataset()), in.getWhere()).thenApply(deleted ->
                    DeleteRowsResponse.newBuilder().setRowsDeleted(deleted.rows()).setTableVersion(deleted.tableVersion()).build());
        });
    }

    @Override
    public CompletionStage<ListTasksResponse> listTasks(ListTasksRequest in, Metadata metadata) {
        return Errors.guarded(() -> admin.tasks(Callers.principal(keys, metadata)).thenApply(tasks -> ListTasksResponse.newBuilder()
                .addAllTasks(tasks.stream().map(task -> Task.newBuilder().setDataset(task.dataset().toString()).setType(task.type())
                        .setNextRunAtMillis(task.nextRunAt().toEpochMilli()).setLeaseSequence(task.leaseSequence())
                        .setFailures(task.failures()).setLastOutcome(task.lastOutcome()).build()).toList())
                .build()));
    }

    @Override
    public CompletionStage<ClusterStatusResponse> clusterStatus(ClusterStatusRequest in, Metadata metadata) {
        return Errors.guarded(() -> admin.clusterStatus(Callers.principal(keys, metadata)).thenApply(status -> ClusterStatusResponse.newBuilder()
                .addAllMembers(status.members().stream().map(member -> Member.newBuilder().setAddress(member.address())
                        .setStatus(member.status()).addAllRoles(member.roles()).build()).toList())
                .addAllWriterShards(status.writerShards().stream().map(shards -> WriterShards.newBuilder().setAddress(shards.address())
                        .setShards(shards.shards()).setWriters(shards.writers()).build()).toList())
                .build()));
    }
}
