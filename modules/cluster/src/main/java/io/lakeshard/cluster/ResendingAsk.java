package io.lakeshard.cluster;

import static java.util.Objects.requireNonNull;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Scheduler;
import akka.cluster.sharding.typed.javadsl.EntityRef;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import scala.concurrent.ExecutionContextExecutor;

/**
 * Asks a sharded entity a question that may be asked twice, and while the answer is missing and a copy may have been
 * lost, sends it again every {@code interval} until an answer comes or the timeout passes; the first answer is
 * taken. A message sent to a member that has just died is lost, not failed: asked once, the caller would wait out the
 * whole timeout although the entity started on another member seconds after the death was noticed. Copies are sent
 * only while {@code mayLose} says a member is unreachable or just left ({@link MembershipWatch}): on a healthy
 * cluster nothing is lost, and a copy would only linger behind a slow or failed answer and apply later. Only for
 * messages whose copies do no harm: reads, and writes under a key (an answer may then precede a copy's commit: the
 * caller was told to retry under the key, which the commit then answers as a replay).
 */
public final class ResendingAsk {
    private final Scheduler scheduler;
    private final ExecutionContextExecutor executor;
    private final Duration timeout;
    private final Duration interval;
    private final BooleanSupplier mayLose;

    /** Resends while the cluster's membership is troubled, and for a timeout's length after a member left. */
    public static ResendingAsk whileMembersFail(ActorSystem<?> system, Duration timeout, Duration interval) {
        return new ResendingAsk(system, timeout, interval, new MembershipWatch(system, timeout));
    }

    public ResendingAsk(ActorSystem<?> system, Duration timeout, Duration interval, BooleanSupplier mayLose) {
        requireNonNull(system, "system is null");
        this.mayLose = requireNonNull(mayLose, "mayLose is null");
        this.scheduler = system.scheduler();
        this.executor = system.executionContext();
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.interval = requireNonNull(interval, "interval is null");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive, got " + interval);
        }
    }

    public Duration timeout() {
        return timeout;
    }

    public <M, R> CompletionStage<R> ask(EntityRef<M> entity, Function<ActorRef<R>, M> message) {
        CompletableFuture<R> answer = new CompletableFuture<>();
        send(entity, message, System.nanoTime() + timeout.toNanos(), answer);
        return answer;
    }

    private <M, R> void send(EntityRef<M> entity, Function<ActorRef<R>, M> message, long deadlineNanos, CompletableFuture<R> answer) {
        long left = deadlineNanos - System.nanoTime();
        if (answer.isDone() || left <= 0) {
            return;
        }
        // Every copy waits until the same deadline, so the first to fail fails at the deadline: no copy was answered.
        entity.<R>ask(message::apply, Duration.ofNanos(left)).whenComplete((reply, error) -> {
            if (error == null) {
                answer.complete(reply);
            } else {
                answer.completeExceptionally(error);
            }
        });
        if (left > interval.toNanos()) {
            scheduler.scheduleOnce(interval, () -> resend(entity, message, deadlineNanos, answer), executor);
        }
    }

    private <M, R> void resend(EntityRef<M> entity, Function<ActorRef<R>, M> message, long deadlineNanos, CompletableFuture<R> answer) {
        if (answer.isDone()) {
            return;
        }
        if (mayLose.getAsBoolean()) {
            send(entity, message, deadlineNanos, answer);
        } else if (deadlineNanos - System.nanoTime() > interval.toNanos()) {
            scheduler.scheduleOnce(interval, () -> resend(entity, message, deadlineNanos, answer), executor);
        }
    }
}
