package io.lakeshard.service.admin;

import static java.util.Objects.requireNonNull;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.cluster.sharding.ShardRegion.ClusterShardingStats;
import akka.cluster.sharding.typed.ClusterShardingQuery;
import akka.cluster.sharding.typed.GetClusterShardingStats;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.typed.Cluster;
import io.lakeshard.cluster.freshness.SnapshotService;
import io.lakeshard.cluster.maintenance.MaintenanceScheduler;
import io.lakeshard.cluster.maintenance.TaskType;
import io.lakeshard.cluster.registry.DatasetService;
import io.lakeshard.cluster.table.IngestRouter;
import io.lakeshard.cluster.table.PredicateSpec;
import io.lakeshard.cluster.table.TableEntity;
import io.lakeshard.query.engine.QueryEngine;
import io.lakeshard.service.Audit;
import io.lakeshard.service.Principal;
import io.lakeshard.service.Principal.Role;
import io.lakeshard.service.ServiceException;
import io.lakeshard.service.ServiceException.Code;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.dataset.TableSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.stream.StreamSupport;

/** What admin keys may do: maintenance now, row deletes, the task list, cluster status. */
public final class Admin {
    /** How long the scheduler and the shard regions have to answer a listing. */
    private static final Duration LISTING_TIMEOUT = Duration.ofSeconds(10);

    private final ActorSystem<?> system;
    private final ActorRef<MaintenanceScheduler.Command> scheduler;
    private final IngestRouter router;
    private final SnapshotService snapshots;
    private final QueryEngine engine;
    private final DatasetService datasets;
    private final Executor blocking;
    private final Duration defaultMaintenanceTimeout;

    public Admin(ActorSystem<?> system, ActorRef<MaintenanceScheduler.Command> scheduler, IngestRouter router,
            SnapshotService snapshots, QueryEngine engine, DatasetService datasets, Executor blocking,
            Duration defaultMaintenanceTimeout) {
        this.system = requireNonNull(system, "system is null");
        this.scheduler = requireNonNull(scheduler, "scheduler is null");
        this.router = requireNonNull(router, "router is null");
        this.snapshots = requireNonNull(snapshots, "snapshots is null");
        this.engine = requireNonNull(engine, "engine is null");
        this.datasets = requireNonNull(datasets, "datasets is null");
        this.blocking = requireNonNull(blocking, "blocking is null");
        this.defaultMaintenanceTimeout = requireNonNull(defaultMaintenanceTimeout, "defaultMaintenanceTimeout is null");
    }

    /** Compacts small files now; answers the run's outcome. */
    public CompletionStage<String> optimize(Principal principal, DatasetName name, Optional<Duration> timeout) {
        return maintenance(principal, name, TaskType.OPTIMIZE, timeout);
    }

    /** Deletes unreferenced files now. */
    public CompletionStage<String> vacuum(Principal principal, DatasetName name, Optional<Duration> timeout) {
        return maintenance(principal, name, TaskType.VACUUM, timeout);
    }

    /** Drops the days older than the dataset's retention now. */
    public CompletionStage<String> expire(Principal principal, DatasetName name, Optional<Duration> timeout) {
        return maintenance(principal, name, TaskType.RETENTION, timeout);
    }

    private CompletionStage<String> maintenance(Principal principal, DatasetName name, TaskType type, Optional<Duration> timeout) {
        String tenant = admin(principal);
        Duration wait = timeout.orElse(defaultMaintenanceTimeout);
        return Audit.audited(principal, type.name().toLowerCase(Locale.ROOT), name.toString(),
                router.table(tenant, name).thenCompose(record -> {
                    record.requireWritable();
                    if (!type.scheduledBy(record.policy())) {
                        throw new InvalidInputException("policy.retention_days",
                                "0 keeps every day, so there is nothing to expire; set the days to keep with UpdatePolicy");
                    }
                    return MaintenanceScheduler.runNowAndWait(system, scheduler, record.ref(), type, wait);
                }).thenApply(MaintenanceScheduler.TaskStatus::lastOutcome));
    }

    /** Deletes the rows a WHERE clause of column-to-constant comparisons matches; answers rows deleted and the version. */
    public CompletionStage<RowsDeleted> deleteRows(Principal principal, DatasetName name, String where) {
        String tenant = admin(principal);
        return Audit.audited(principal, "delete-rows", name.toString(), router.table(tenant, name).thenComposeAsync(record -> {
            record.requireWritable();
            TableSchema schema = snapshots.cache(record.ref()).refresh().schema();
            List<PredicateSpec> predicates = engine.parseFilter(schema, where).stream()
                    .map(predicate -> PredicateSpec.of(predicate, schema)).toList();
            return datasets.deleteRows(tenant, name, predicates);
        }, blocking).thenApply(deleted -> new RowsDeleted(deleted.rows(), deleted.version())));
    }

    /** The maintenance tasks of the caller's datasets. */
    public CompletionStage<List<TaskInfo>> tasks(Principal principal) {
        String tenant = admin(principal);
        return MaintenanceScheduler.listTasks(system, scheduler, LISTING_TIMEOUT).thenApply(tasks -> tasks.stream()
                .filter(task -> task.table().tenant().equals(tenant))
                .map(task -> new TaskInfo(task.table().name(), task.type().name(), task.nextRunAt(), task.leaseSequence(),
                        task.failures(), task.lastOutcome()))
                .toList());
    }

    public CompletionStage<ClusterStatus> clusterStatus(Principal principal) {
        admin(principal);
        List<ClusterStatus.Member> members = StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
                .map(member -> new ClusterStatus.Member(member.address().toString(), member.status().toString(), member.getRoles()))
                .toList();
        return AskPattern.<ClusterShardingQuery, ClusterShardingStats>ask(ClusterSharding.get(system).shardState(),
                        replyTo -> new GetClusterShardingStats(TableEntity.ENTITY_KEY, Duration.ofSeconds(5), replyTo),
                        LISTING_TIMEOUT, system.scheduler())
                .thenApply(stats -> {
                    List<ClusterStatus.WriterShards> shards = new ArrayList<>();
                    stats.getRegions().forEach((address, region) -> shards.add(new ClusterStatus.WriterShards(address.toString(),
                            region.getStats().size(), region.getStats().values().stream().mapToInt(count -> (Integer) count).sum())));
                    return new ClusterStatus(members, shards);
                });
    }

    /** The caller's tenant, if the caller holds the admin role. */
    private static String admin(Principal principal) {
        if (!principal.has(Role.ADMIN)) {
            throw new ServiceException(Code.PERMISSION_DENIED, "this API key has no admin role");
        }
        return principal.tenant();
    }

    /** Rows a delete removed and the version that committed it. */
    public record RowsDeleted(long rows, long tableVersion) {}
}
