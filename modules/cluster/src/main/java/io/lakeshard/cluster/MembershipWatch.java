package io.lakeshard.cluster;

import static java.util.Objects.requireNonNull;

import akka.actor.typed.ActorSystem;
import akka.cluster.ClusterEvent.CurrentClusterState;
import akka.cluster.Member;
import akka.cluster.UniqueAddress;
import akka.cluster.typed.Cluster;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Whether a message sent a moment ago may have gone to a member that died: true while a member is unreachable, and
 * for {@code window} after a member left the membership (its entities start elsewhere only then, and a message sent
 * to it before is lost). Read on demand from the cluster's state, so it costs nothing while nobody asks.
 */
public final class MembershipWatch implements BooleanSupplier {
    private final Cluster cluster;
    private final long windowNanos;
    private Set<UniqueAddress> lastSeen;
    private long lastDepartureNanos;
    private boolean departed;

    public MembershipWatch(ActorSystem<?> system, Duration window) {
        this.cluster = Cluster.get(requireNonNull(system, "system is null"));
        this.windowNanos = requireNonNull(window, "window is null").toNanos();
    }

    @Override
    public synchronized boolean getAsBoolean() {
        CurrentClusterState state = cluster.state();
        Set<UniqueAddress> members = new HashSet<>();
        for (Member member : state.getMembers()) {
            members.add(member.uniqueAddress());
        }
        long now = System.nanoTime();
        if (lastSeen != null && !members.containsAll(lastSeen)) {
            departed = true;
            lastDepartureNanos = now;
        }
        lastSeen = members;
        return !state.getUnreachable().isEmpty() || (departed && now - lastDepartureNanos < windowNanos);
    }
}
