package io.lakeshard.cluster.query;

import static java.util.Objects.requireNonNull;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;
import io.lakeshard.cluster.CborSerializable;
import java.time.Instant;
import java.util.List;

/**
 * One per node, registered with the receptionist: answers for the queries running on its node, so that a cancel or a
 * listing sent to any node reaches a query wherever it runs. It only relays to {@link LocalQueries}, which checks the
 * tenant: a tenant never reaches another tenant's query through it.
 */
public final class QueryDirectory {
    public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "lakeshard-queries");

    /** The queries running on this node, by tenant. */
    public interface LocalQueries {
        /** Cancels the tenant's query with this id if it runs here; false if it does not (or is another tenant's). */
        boolean cancel(String tenant, String queryId);

        List<QueryInfo> running(String tenant);
    }

    /** A running query as its tenant may see it. */
    public record QueryInfo(String queryId, String label, String sql, Instant startedAt, String node) implements CborSerializable {
        public QueryInfo {
            requireNonNull(queryId, "queryId is null");
            requireNonNull(label, "label is null");
            requireNonNull(sql, "sql is null");
            requireNonNull(startedAt, "startedAt is null");
            requireNonNull(node, "node is null");
        }
    }

    public sealed interface Command extends CborSerializable {}

    public record Cancel(String tenant, String queryId, ActorRef<Boolean> replyTo) implements Command {}

    public record ListRunning(String tenant, ActorRef<Running> replyTo) implements Command {}

    public record Running(List<QueryInfo> queries) implements CborSerializable {
        public Running {
            queries = List.copyOf(queries);
        }
    }

    private QueryDirectory() {}

    public static Behavior<Command> create(LocalQueries local) {
        requireNonNull(local, "local is null");
        return Behaviors.setup(context -> {
            context.getSystem().receptionist().tell(Receptionist.register(KEY, context.getSelf()));
            return Behaviors.receive(Command.class)
                    .onMessage(Cancel.class, cancel -> {
                        cancel.replyTo().tell(local.cancel(cancel.tenant(), cancel.queryId()));
                        return Behaviors.same();
                    })
                    .onMessage(ListRunning.class, list -> {
                        list.replyTo().tell(new Running(local.running(list.tenant())));
                        return Behaviors.same();
                    })
                    .build();
        });
    }
}
