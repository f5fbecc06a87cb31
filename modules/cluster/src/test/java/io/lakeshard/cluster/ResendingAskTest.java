package io.lakeshard.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.MemberStatus;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityRef;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import akka.pattern.AskTimeoutException;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A question lost on its way (as one sent to a member that just died is) is asked again and answered; on a healthy
 * cluster it is asked once.
 */
class ResendingAskTest {
    private static final EntityTypeKey<Question> KEY = EntityTypeKey.create(Question.class, "ResendingAskTest");

    /** Local only: never serialized. */
    private record Question(ActorRef<Integer> replyTo) {}

    private final AtomicInteger received = new AtomicInteger();
    private ActorTestKit actors;
    private ClusterSharding sharding;

    @BeforeEach
    void start() {
        actors = ActorTestKit.create(ConfigFactory.parseString("""
                akka.actor.provider = cluster
                akka.remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
                """));
        Cluster cluster = Cluster.get(actors.system());
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
        TestCluster.await(Duration.ofSeconds(30), () -> cluster.selfMember().status() == MemberStatus.up(), "the node to be up");
        sharding = ClusterSharding.get(actors.system());
        sharding.init(Entity.of(KEY, context -> losesFirst()));
    }

    @AfterEach
    void stop() {
        actors.shutdownTestKit();
    }

    /** Drops the first question it gets, as a dead member's mailbox would; answers later ones with their number. */
    private Behavior<Question> losesFirst() {
        return Behaviors.receiveMessage(question -> {
            int number = received.incrementAndGet();
            if (number > 1) {
                question.replyTo().tell(number);
            }
            return Behaviors.same();
        });
    }

    @Test
    void aLostQuestionIsAskedAgainAndTheFirstAnswerIsTaken() throws Exception {
        EntityRef<Question> entity = sharding.entityRefFor(KEY, "one");
        ResendingAsk asking = new ResendingAsk(actors.system(), Duration.ofSeconds(20), Duration.ofMillis(200), () -> true);
        long started = System.nanoTime();
        int answer = asking.<Question, Integer>ask(entity, Question::new).toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(2, answer, "the second copy's answer");
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(10), "well before the 20 s timeout");
    }

    @Test
    void askedOnceTheLostQuestionWaitsOutTheTimeout() {
        EntityRef<Question> entity = sharding.entityRefFor(KEY, "two");
        ExecutionException failed = assertThrows(ExecutionException.class,
                () -> entity.<Integer>ask(Question::new, Duration.ofSeconds(1)).toCompletableFuture().get(30, TimeUnit.SECONDS));
        assertInstanceOf(AskTimeoutException.class, failed.getCause());
    }

    @Test
    void onAHealthyClusterNothingIsResent() {
        EntityRef<Question> entity = sharding.entityRefFor(KEY, "four");
        MembershipWatch watch = new MembershipWatch(actors.system(), Duration.ofSeconds(10));
        assertFalse(watch.getAsBoolean(), "no member unreachable, none left");
        ResendingAsk asking = ResendingAsk.whileMembersFail(actors.system(), Duration.ofSeconds(2), Duration.ofMillis(100));
        ExecutionException failed = assertThrows(ExecutionException.class,
                () -> asking.<Question, Integer>ask(entity, Question::new).toCompletableFuture().get(30, TimeUnit.SECONDS));
        assertInstanceOf(AskTimeoutException.class, failed.getCause());
        assertEquals(1, received.get(), "a copy would only have lingered behind the answer");
    }

    @Test
    void withNoAnswerAtAllItFailsAtTheTimeout() {
        EntityRef<Question> entity = sharding.entityRefFor(KEY, "three");
        ResendingAsk asking = new ResendingAsk(actors.system(), Duration.ofSeconds(1), Duration.ofSeconds(5), () -> true);
        long started = System.nanoTime();
        ExecutionException failed = assertThrows(ExecutionException.class,
                () -> asking.<Question, Integer>ask(entity, Question::new).toCompletableFuture().get(30, TimeUnit.SECONDS));
        assertInstanceOf(AskTimeoutException.class, failed.getCause());
        assertTrue(System.nanoTime() - started >= TimeUnit.MILLISECONDS.toNanos(900), "not before the timeout");
        assertEquals(1, received.get(), "asked once: the interval is longer than the timeout");
    }
}
