package io.lakeshard.cluster.imports;

import static java.util.Objects.requireNonNull;

import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.EntityRef;
import akka.persistence.jdbc.query.javadsl.JdbcReadJournal;
import akka.persistence.query.PersistenceQuery;
import akka.stream.javadsl.Sink;
import io.lakeshard.cluster.ResendingAsk;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Asks a tenant's import jobs, wherever in the cluster each runs. */
public final class ImportJobs {
    private final ActorSystem<?> system;
    private final ClusterSharding sharding;
    private final Duration timeout;
    private final ResendingAsk reads;

    public ImportJobs(ActorSystem<?> system, Duration timeout, Duration resendReads) {
        this.system = requireNonNull(system, "system is null");
        this.sharding = ClusterSharding.get(system);
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.reads = ResendingAsk.whileMembersFail(system, timeout, resendReads);
    }

    private EntityRef<ImportJob.Command> job(String tenant, String jobId) {
        return sharding.entityRefFor(ImportJob.ENTITY_KEY, ImportJob.entityId(tenant, jobId));
    }

    /** Starts the job; starting it again with the same spec answers its status (a retry), with another a conflict. */
    public CompletionStage<ImportJob.StartReply> start(String jobId, ImportSpec spec) {
        return job(spec.tenant(), jobId).ask(replyTo -> new ImportJob.Start(spec, replyTo), timeout);
    }

    /** The job's status; its spec is null when the tenant has no job by that id. */
    public CompletionStage<ImportJob.JobStatus> get(String tenant, String jobId) {
        return reads.<ImportJob.Command, ImportJob.JobStatus>ask(job(tenant, jobId), ImportJob.Get::new);
    }

    public CompletionStage<ImportJob.JobStatus> stop(String tenant, String jobId) {
        return job(tenant, jobId).ask(ImportJob.Stop::new, timeout);
    }

    /** The tenant's jobs, by id: the journal knows every job that was ever started. */
    public CompletionStage<List<ImportJob.JobStatus>> list(String tenant) {
        String prefix = ImportJob.ENTITY_KEY.name() + "|" + ImportJob.entityId(tenant, "");
        JdbcReadJournal journal = PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
        return journal.currentPersistenceIds().filter(id -> id.startsWith(prefix)).map(id -> id.substring(prefix.length()))
                .runWith(Sink.seq(), system)
                .thenCompose(ids -> {
                    List<CompletableFuture<ImportJob.JobStatus>> statuses = ids.stream().sorted()
                            .map(id -> get(tenant, id).toCompletableFuture()).toList();
                    return CompletableFuture.allOf(statuses.toArray(CompletableFuture[]::new))
                            .thenApply(done -> statuses.stream().map(CompletableFuture::join).toList());
                });
    }
}
