package io.lakeshard.service.sampling;

import static java.util.Objects.requireNonNull;

import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.EntityRef;
import akka.persistence.jdbc.query.javadsl.JdbcReadJournal;
import akka.persistence.query.PersistenceQuery;
import akka.stream.javadsl.Sink;
import io.lakeshard.cluster.JournalBackoff;
import io.lakeshard.cluster.ResendingAsk;
import io.lakeshard.cluster.metrics.Metrics;
import io.lakeshard.query.Consistency;
import io.lakeshard.service.Audit;
import io.lakeshard.service.Principal;
import io.lakeshard.service.ServiceErrors;
import io.lakeshard.service.ServiceException;
import io.lakeshard.service.ServiceException.Code;
import io.lakeshard.service.traces.ReadOptions;
import io.lakeshard.service.traces.Traces;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.traces.sampling.DecisionRow;
import io.lakeshard.traces.sampling.SamplerDefinition;
import io.lakeshard.traces.sampling.SamplerStatements;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The caller's tenant's samplers: created, read, listed and deleted through their owners wherever they run, and
 * their decisions read from a cursor.
 */
public final class Samplers {
    /** The most decisions one page of a stream holds. */
    public static final int MAX_PAGE = 10_000;

    private final ActorSystem<?> system;
    private final ClusterSharding sharding;
    private final SamplerWork work;
    private final Traces traces;
    private final Duration timeout;
    private final ResendingAsk reads;

    Samplers(ActorSystem<?> system, SamplerWork work, Traces traces, Duration timeout, Duration resendReads) {
        this.system = requireNonNull(system, "system is null");
        this.sharding = ClusterSharding.get(system);
        this.work = requireNonNull(work, "work is null");
        this.traces = requireNonNull(traces, "traces is null");
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.reads = ResendingAsk.whileMembersFail(system, timeout, resendReads);
    }

    /**
     * Starts the samplers' owners on this node: each node runs its share of the cluster's samplers.
     *
     * @param role the members that run owners, the data role
     */
    public static Samplers start(ActorSystem<?> system, SamplerWork work, Traces traces, String role,
            JournalBackoff backoff, Metrics metrics, Clock clock,
            Duration timeout, Duration resendReads) {
        SamplerEntity.init(system, work, role, backoff, metrics, clock);
        return new Samplers(system, work, traces, timeout, resendReads);
    }

    private EntityRef<SamplerEntity.Command> sampler(String tenant, DatasetName spans, String name) {
        return sharding.entityRefFor(SamplerEntity.ENTITY_KEY, SamplerEntity.entityId(tenant, spans, name));
    }

    /**
     * Creates a sampler; creating it again with the same definition and export answers it as it is, with another is
     * ALREADY_EXISTS. Its decisions dataset is registered before it answers.
     */
    public CompletionStage<SamplerEntity.Status> create(Principal principal, DatasetName spans, SamplerDefinition definition,
            Optional<ExportTarget> export) {
        SamplerSpec spec;
        try {
            spec = new SamplerSpec(principal.tenant(), spans, definition, export.orElse(null));
        } catch (InvalidInputException e) {
            return CompletableFuture.failedFuture(ServiceErrors.map(e));
        }
        return Audit.audited(principal, "create sampler", spans + "/" + definition.name(), work.prepare(spec)
                .thenCompose(prepared -> sampler(spec.tenant(), spans, definition.name())
                        .<SamplerEntity.CreateReply>ask(replyTo -> new SamplerEntity.Create(spec, replyTo), timeout))
                .handle((reply, error) -> {
                    if (error != null) {
                        throw ServiceErrors.map(error);
                    }
                    if (reply.conflict() != null) {
                        throw new ServiceException(Code.ALREADY_EXISTS, "name: " + reply.conflict());
                    }
                    return reply.status();
                }));
    }

    public CompletionStage<SamplerEntity.Status> get(Principal principal, DatasetName spans, String name) {
        return reads.<SamplerEntity.Command, SamplerEntity.Status>ask(sampler(principal.tenant(), spans, name), SamplerEntity.Get::new)
                .handle((status, error) -> found(status, error, spans, name));
    }

    /** Stops the sampler; its decisions dataset stays, for the tenant to query or drop. */
    public CompletionStage<SamplerEntity.Status> delete(Principal principal, DatasetName spans, String name) {
        return get(principal, spans, name).thenCompose(status -> sampler(principal.tenant(), spans, name)
                        .<SamplerEntity.Status>ask(SamplerEntity.Delete::new, timeout))
                .handle((status, error) -> {
                    if (error != null) {
                        throw ServiceErrors.map(error);
                    }
                    return status;
                });
    }

    /** The tenant's samplers, by dataset and name: the journal knows every sampler ever created. */
    public CompletionStage<List<SamplerEntity.Status>> list(Principal principal) {
        String type = SamplerEntity.ENTITY_KEY.name() + "|";
        String prefix = type + principal.tenant() + "~";
        JdbcReadJournal journal = PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
        return journal.currentPersistenceIds().filter(id -> id.startsWith(prefix)).map(id -> id.substring(type.length()))
                .runWith(Sink.seq(), system)
                .thenCompose(ids -> {
                    List<CompletableFuture<SamplerEntity.Status>> statuses = ids.stream().sorted()
                            .map(id -> reads.<SamplerEntity.Command, SamplerEntity.Status>ask(
                                    sharding.entityRefFor(SamplerEntity.ENTITY_KEY, id), SamplerEntity.Get::new).toCompletableFuture())
                            .toList();
                    return CompletableFuture.allOf(statuses.toArray(CompletableFuture[]::new))
                            .thenApply(done -> statuses.stream().map(CompletableFuture::join)
                                    .filter(status -> status.spec() != null && !status.deleted()).toList());
                })
                .handle((list, error) -> {
                    if (error != null) {
                        throw ServiceErrors.map(error);
                    }
                    return list;
                });
    }

    /**
     * A sampler's decisions after cursor {@code after} (a row's sequence; 0 for the first), in order, as the owner
     * wrote them: a client that resumes from the last sequence it saw sees every decision once. Late rows are left
     * out: a late span follows its trace's decision, which the stream had.
     */
    public DecisionFeed decisions(Principal principal, DatasetName spans, String name, long after, int pageSize) {
        if (after < 0) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "after: expected a sequence of 0 or more, got " + after);
        }
        if (pageSize < 1 || pageSize > MAX_PAGE) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "page_size: expected 1 to " + MAX_PAGE + ", got " + pageSize);
        }
        return new DecisionFeed(principal, spans, name, after, pageSize);
    }

    private static SamplerEntity.Status found(SamplerEntity.Status status, Throwable error, DatasetName spans, String name) {
        if (error != null) {
            throw ServiceErrors.map(error);
        }
        if (status.spec() == null || status.deleted()) {
            throw new ServiceException(Code.NOT_FOUND, "name: no sampler " + name + " of " + spans);
        }
        return status;
    }

    /**
     * A stream of decisions, a page at a time: {@link #next} waits for the next when caught up, {@link #poll} answers
     * at once. Ask once the last page is answered.
     */
    public final class DecisionFeed {
        private final Principal principal;
        private final DatasetName spans;
        private final String name;
        private final int pageSize;
        private long after;

        private DecisionFeed(Principal principal, DatasetName spans, String name, long after, int pageSize) {
            this.principal = principal;
            this.spans = spans;
            this.name = name;
            this.after = after;
            this.pageSize = pageSize;
        }

        /**
         * The next decisions after the cursor; waits while there are none, and fails NOT_FOUND once the sampler is deleted.
         * It polls until decisions come whether or not anyone still wants them: a reader that may stop (a stream its
         * client can cancel) uses {@link #poll} and {@link #pollLater}, which look once.
         */
        public CompletionStage<List<DecisionRow>> next() {
            return poll().thenCompose(this::orLater);
        }

        private CompletionStage<List<DecisionRow>> orLater(List<DecisionRow> rows) {
            return rows.isEmpty() ? pollLater().thenCompose(this::orLater) : CompletableFuture.completedFuture(rows);
        }

        /**
         * The next decisions after the cursor, at once: none when caught up. Fails NOT_FOUND once the sampler is
         * deleted.
         */
        public CompletionStage<List<DecisionRow>> poll() {
            return get(principal, spans, name).thenCompose(status -> traces.run(principal,
                    () -> SamplerStatements.decisions(status.spec().decisions(), after, Long.MAX_VALUE, true, false, pageSize),
                    new ReadOptions(Consistency.LATEST_COMMITTED, Optional.of(timeout)))).thenApply(page -> {
                if (!page.rows().isEmpty()) {
                    after = page.rows().get(page.rows().size() - 1).sequence();
                }
                return page.rows();
            });
        }

        /** As {@link #poll}, after the cluster's feed poll interval: what a caught-up reader asks next. */
        public CompletionStage<List<DecisionRow>> pollLater() {
            return CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(
                    work.settings().feedPollInterval().toMillis(), TimeUnit.MILLISECONDS)).thenCompose(waited -> poll());
        }

        /** The cursor: the last sequence handed out. */
        public long after() {
            return after;
        }
    }
}
