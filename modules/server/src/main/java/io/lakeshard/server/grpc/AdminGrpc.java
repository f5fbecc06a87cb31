package io.lakeshard.server.grpc;

import static java.util.Objects.requireNonNull;

import akka.cluster.Member;
import akka.cluster.typed.Cluster;
import akka.grpc.GrpcServiceException;
import akka.grpc.javadsl.Metadata;
import io.grpc.Status;
import io.lakeshard.api.v1.AdminServicePowerApi;
import io.lakeshard.api.v1.ClusterStatusRequest;
import io.lakeshard.api.v1.ClusterStatusResponse;
import io.lakeshard.api.v1.DeleteRowsRequest;
import io.lakeshard.api.v1.DeleteRowsResponse;
import io.lakeshard.api.v1.ListTasksRequest;
import io.lakeshard.api.v1.ListTasksResponse;
import io.lakeshard.api.v1.MaintenanceRequest;
import io.lakeshard.api.v1.MaintenanceResponse;
import io.lakeshard.api.v1.Task;
import io.lakeshard.cluster.maintenance.MaintenanceScheduler;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.cluster.maintenance.TaskType;
import io.lakeshard.cluster.node.LakeshardNode;
import io.lakeshard.cluster.table.PredicateSpec;
import io.lakeshard.cluster.table.TableRef;
import io.lakeshard.server.auth.ApiKeys;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.TableSchema;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.stream.StreamSupport;

/** AdminService: maintenance now, row deletes, tasks and cluster status, for admin keys. */
public final class AdminGrpc implements AdminServicePowerApi {
    private static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

    private final LakeshardNode node;
    private final ApiKeys keys;
    private final Executor blocking;

    public AdminGrpc(LakeshardNode node, ApiKeys keys, Executor blocking) {
        this.node = requireNonNull(node, "node is null");
        this.keys = requireNonNull(keys, "keys is null");
        this.blocking = requireNonNull(blocking, "blocking is null");
    }

    @Override
    public CompletionStage<MaintenanceResponse> optimize(MaintenanceRequest in, Metadata metadata) {
        return maintenance(in, metadata, TaskType.OPTIMIZE);
    }

    @Override
    public CompletionStage<MaintenanceResponse> vacuum(MaintenanceRequest in, Metadata metadata) {
        return maintenance(in, metadata, TaskType.VACUUM);
    }

    @Override
    public CompletionStage<MaintenanceResponse> expire(MaintenanceRequest in, Metadata metadata) {
        return maintenance(in, metadata, TaskType.RETENTION);
    }

    private CompletionStage<MaintenanceResponse> maintenance(MaintenanceRequest in, Metadata metadata, TaskType type) {
        return Errors.guarded(() -> {
            String tenant = admin(metadata);
            DatasetName name = DatasetName.parse(in.getDataset());
            Duration timeout = in.getTimeoutMillis() > 0 ? Duration.ofMillis(in.getTimeoutMillis()) : DEFAULT_TIMEOUT;
            return node.ingest().table(tenant, name).thenCompose(record -> {
                        if (!type.scheduledBy(record.policy())) {
                            throw new InvalidInputException("policy.retention_days",
                                    "0 keeps every day, so there is nothing to expire; set the days to keep with UpdatePolicy");
                        }
                        return MaintenanceScheduler.runNowAndWait(node.system(), node.scheduler(),
                                new TableRef(tenant, name, record.incarnation()), type, timeout);
                    })
                    .thenApply(status -> MaintenanceResponse.newBuilder().setOutcome(status.lastOutcome()).build());
        });
    }

    @Override
    public CompletionStage<DeleteRowsResponse> deleteRows(DeleteRowsRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            String tenant = admin(metadata);
            DatasetName name = DatasetName.parse(in.getDataset());
            return node.ingest().table(tenant, name).thenComposeAsync(record -> {
                TableRef ref = new TableRef(tenant, name, record.incarnation());
                TableSchema schema = node.snapshots().cache(ref).refresh().schema();
                List<PredicateSpec> predicates = node.queries().parseFilter(schema, in.getWhere()).stream()
                        .map(predicate -> PredicateSpec.of(predicate, schema)).toList();
                return node.datasets().deleteRows(tenant, name, predicates);
            }, blocking).thenApply(deleted -> DeleteRowsResponse.newBuilder().setRowsDeleted(deleted.rows())
                    .setTableVersion(deleted.version()).build());
        });
    }

    @Override
    public CompletionStage<ListTasksResponse> listTasks(ListTasksRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            String tenant = admin(metadata);
            return MaintenanceScheduler.listTasks(node.system(), node.scheduler(), Duration.ofSeconds(10))
                    .thenApply(tasks -> ListTasksResponse.newBuilder().addAllTasks(tasks.stream()
                            .filter(task -> task.table().tenant().equals(tenant))
                            .map(task -> Task.newBuilder().setDataset(task.table().name().toString()).setType(task.type().name())
                                    .setNextRunAtMillis(task.nextRunAt().toEpochMilli()).setLeaseSequence(task.leaseSequence())
                                    .setFailures(task.failures()).setLastOutcome(task.lastOutcome()).build())
                            .toList()).build());
        });
    }

    @Override
    public CompletionStage<ClusterStatusResponse> clusterStatus(ClusterStatusRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            admin(metadata);
            Iterable<Member> members = Cluster.get(node.system()).state().getMembers();
            ClusterStatusResponse.Builder status = ClusterStatusResponse.newBuilder().addAllMembers(
                    StreamSupport.stream(members.spliterator(), false).map(member -> io.lakeshard.api.v1.Member.newBuilder()
                            .setAddress(member.address().toString()).setStatus(member.status().toString())
                            .addAllRoles(member.getRoles()).build()).toList());
            return akka.actor.typed.javadsl.AskPattern.<akka.cluster.sharding.typed.ClusterShardingQuery,
                            akka.cluster.sharding.ShardRegion.ClusterShardingStats>ask(
                            akka.cluster.sharding.typed.javadsl.ClusterSharding.get(node.system()).shardState(),
                            replyTo -> new akka.cluster.sharding.typed.GetClusterShardingStats(
                                    io.lakeshard.cluster.table.TableEntity.ENTITY_KEY, Duration.ofSeconds(5), replyTo),
                            Duration.ofSeconds(10), node.system().scheduler())
                    .thenApply(stats -> {
                        stats.getRegions().forEach((address, region) -> status.addWriterShards(io.lakeshard.api.v1.WriterShards.newBuilder()
                                .setAddress(address.toString()).setShards(region.getStats().size())
                                .setWriters(region.getStats().values().stream().mapToInt(count -> (Integer) count).sum())));
                        return status.build();
                    });
        });
    }

    private String admin(Metadata metadata) {
        ApiKeys.Principal principal = keys.authenticate(metadata);
        if (!principal.admin()) {
            throw new GrpcServiceException(Status.PERMISSION_DENIED.withDescription("this API key has no admin role"));
        }
        return principal.tenant();
    }
}
