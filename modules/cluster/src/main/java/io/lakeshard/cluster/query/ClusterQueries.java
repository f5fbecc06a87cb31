package io.lakeshard.cluster.query;

import static java.util.Objects.requireNonNull;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.receptionist.Receptionist;
import io.lakeshard.cluster.query.QueryDirectory.LocalQueries;
import io.lakeshard.cluster.query.QueryDirectory.QueryInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cancel and list a tenant's queries across the cluster. Queries run on the node whose door took them; the query id
 * does not say which node that is, so a cancel is tried here first and then asked of every other node's directory.
 * A node that does not answer in time is taken to have no such query: a cancel is a request, not a promise.
 */
public final class ClusterQueries {
    private static final Logger log = LoggerFactory.getLogger(ClusterQueries.class);

    private final ActorSystem<?> system;
    private final LocalQueries local;
    private final ActorRef<QueryDirectory.Command> self;
    private final Duration timeout;

    public ClusterQueries(ActorSystem<?> system, LocalQueries local, Duration timeout) {
        this.system = requireNonNull(system, "system is null");
        this.local = requireNonNull(local, "local is null");
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.self = system.systemActorOf(QueryDirectory.create(local), "query-directory", Props.empty());
    }

    public CompletionStage<Boolean> cancel(String tenant, String queryId) {
        if (local.cancel(tenant, queryId)) {
            return CompletableFuture.completedFuture(true);
        }
        return others().thenCompose(directories -> {
            List<CompletableFuture<Boolean>> answers = new ArrayList<>();
            for (ActorRef<QueryDirectory.Command> directory : directories) {
                answers.add(AskPattern.<QueryDirectory.Command, Boolean>ask(directory,
                                replyTo -> new QueryDirectory.Cancel(tenant, queryId, replyTo), timeout, system.scheduler())
                        .exceptionally(error -> unanswered(directory, error, false)).toCompletableFuture());
            }
            return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
                    .thenApply(done -> answers.stream().anyMatch(CompletableFuture::join));
        });
    }

    public CompletionStage<List<QueryInfo>> running(String tenant) {
        List<QueryInfo> here = local.running(tenant);
        return others().thenCompose(directories -> {
            List<CompletableFuture<List<QueryInfo>>> answers = new ArrayList<>();
            for (ActorRef<QueryDirectory.Command> directory : directories) {
                answers.add(AskPattern.<QueryDirectory.Command, QueryDirectory.Running>ask(directory,
                                replyTo -> new QueryDirectory.ListRunning(tenant, replyTo), timeout, system.scheduler())
                        .thenApply(QueryDirectory.Running::queries)
                        .exceptionally(error -> unanswered(directory, error, List.<QueryInfo>of())).toCompletableFuture());
            }
            return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(done -> {
                List<QueryInfo> all = new ArrayList<>(here);
                answers.forEach(answer -> all.addAll(answer.join()));
                return all;
            });
        });
    }

    private static <T> T unanswered(ActorRef<QueryDirectory.Command> directory, Throwable error, T instead) {
        log.warn("the query directory {} did not answer: {}", directory.path(), error.toString());
        return instead;
    }

    private CompletionStage<Set<ActorRef<QueryDirectory.Command>>> others() {
        return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
                        replyTo -> Receptionist.find(QueryDirectory.KEY, replyTo), timeout, system.scheduler())
                .thenApply(listing -> {
                    Set<ActorRef<QueryDirectory.Command>> directories = new HashSet<>(listing.getServiceInstances(QueryDirectory.KEY));
                    directories.remove(self);
                    return directories;
                });
    }
}
