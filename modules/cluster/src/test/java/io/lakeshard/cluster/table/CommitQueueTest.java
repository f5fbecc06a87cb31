package io.lakeshard.cluster.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.cluster.table.CommitQueue.Delete;
import io.lakeshard.cluster.table.CommitQueue.Rewrite;
import io.lakeshard.cluster.table.CommitQueue.SchemaChange;
import io.lakeshard.cluster.table.CommitQueue.Writes;
import io.lakeshard.cluster.table.TableEntity.AddColumns;
import io.lakeshard.cluster.table.TableEntity.DeletePrepared;
import io.lakeshard.cluster.table.TableEntity.DeleteRows;
import io.lakeshard.cluster.table.TableEntity.TaskPrepared;
import io.lakeshard.cluster.table.TableEntity.Write;
import io.lakeshard.storage.table.IdempotencyKey;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The writer's one rule for what commits next, and when it is idle. Replies are not sent here, so none are needed. */
class CommitQueueTest {
    private final CommitQueue queue = new CommitQueue();

    @Test
    void anEmptyQueueIsIdleAndStartsNothing() {
        assertTrue(queue.idle());
        assertTrue(queue.startNext().isEmpty());
    }

    @Test
    void oneCommitHoldsTheCommitPathAndWritesArrivingMeanwhileGoTogetherIntoTheNext() {
        queue.add(write(1));
        Writes first = assertInstanceOf(Writes.class, queue.startNext().orElseThrow());
        assertEquals(List.of(1L), sequences(first));
        queue.add(write(2));
        queue.add(write(3));
        assertTrue(queue.startNext().isEmpty(), "the first commit still holds the commit path");
        assertFalse(queue.idle());
        queue.ended();
        assertEquals(List.of(2L, 3L), sequences(assertInstanceOf(Writes.class, queue.startNext().orElseThrow())));
        queue.ended();
        assertTrue(queue.idle());
    }

    @Test
    void deletesThenSchemaChangesThenRewritesThenWrites() {
        AddColumns change = new AddColumns("{}", null);
        DeletePrepared delete = new DeletePrepared(new DeleteRows(List.of(), null), Optional.empty(), null);
        TaskPrepared rewrite = new TaskPrepared(null, null, null);
        queue.add(write(1));
        queue.add(rewrite);
        queue.add(change);
        queue.add(delete);
        assertSame(delete, assertInstanceOf(Delete.class, next()).prepared());
        assertSame(change, assertInstanceOf(SchemaChange.class, next()).change());
        assertSame(rewrite, assertInstanceOf(Rewrite.class, next()).prepared());
        assertEquals(List.of(1L), sequences(assertInstanceOf(Writes.class, next())));
        assertTrue(queue.idle());
    }

    @Test
    void aGroupCommitTakesAtMostTheMaximumInArrivalOrder() {
        int waiting = CommitQueue.MAX_WRITES_PER_COMMIT + 5;
        IntStream.range(0, waiting).forEach(i -> queue.add(write(i)));
        List<Long> first = sequences(assertInstanceOf(Writes.class, next()));
        assertEquals(CommitQueue.MAX_WRITES_PER_COMMIT, first.size());
        assertEquals(0L, first.get(0));
        assertEquals(List.of(1000L, 1001L, 1002L, 1003L, 1004L), sequences(assertInstanceOf(Writes.class, next())));
    }

    @Test
    void workPreparedOffTheCommitPathKeepsTheWriterBusy() {
        queue.preparationStarted();
        assertFalse(queue.idle(), "a delete finding its rows will still queue a commit");
        assertTrue(queue.startNext().isEmpty());
        queue.preparationEnded();
        assertTrue(queue.idle());
        assertThrows(IllegalStateException.class, queue::preparationEnded);
    }

    @Test
    void afterAFailedCommitTheWaitingWritesAreHandedBack() {
        queue.add(write(1));
        next();
        queue.add(write(2));
        queue.add(write(3));
        queue.ended();
        assertEquals(List.of(2L, 3L), queue.drainWrites().stream().map(w -> w.key().orElseThrow().sequence()).toList());
        assertTrue(queue.idle());
    }

    /** Starts the next commit and ends it at once. */
    private CommitQueue.Next next() {
        CommitQueue.Next next = queue.startNext().orElseThrow();
        queue.ended();
        return next;
    }

    private static Write write(long sequence) {
        return new Write(List.of(), null, Optional.of(new IdempotencyKey("writer", sequence)), 1, null);
    }

    private static List<Long> sequences(Writes writes) {
        return writes.writes().stream().map(w -> w.key().orElseThrow().sequence()).toList();
    }
}
