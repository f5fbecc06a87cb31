package io.lakeshard.cluster.table;

import io.lakeshard.cluster.table.TableEntity.AddColumns;
import io.lakeshard.cluster.table.TableEntity.DeletePrepared;
import io.lakeshard.cluster.table.TableEntity.TaskPrepared;
import io.lakeshard.cluster.table.TableEntity.Write;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * What a table's writer commits next, one commit at a time. Whatever holds the commit path is the only change in
 * flight, so every commit is made at the version the writer knows. The rule: prepared deletes first (an operator
 * waits on each), then schema changes (writes after them may use the new columns), then a maintenance task's
 * prepared rewrite, then the waiting writes as one group commit of at most {@link #MAX_WRITES_PER_COMMIT}.
 * Not thread-safe: the entity's actor owns it.
 */
final class CommitQueue {
    static final int MAX_WRITES_PER_COMMIT = 1_000;

    /** One commit's worth of work. */
    sealed interface Next {}

    record Delete(DeletePrepared prepared) implements Next {}

    record SchemaChange(AddColumns change) implements Next {}

    record Rewrite(TaskPrepared prepared) implements Next {}

    record Writes(List<Write> writes) implements Next {}

    private final Deque<DeletePrepared> deletes = new ArrayDeque<>();
    private final Deque<AddColumns> schemaChanges = new ArrayDeque<>();
    private final Deque<TaskPrepared> rewrites = new ArrayDeque<>();
    private final List<Write> writes = new ArrayList<>();
    private boolean committing;
    private int preparing;

    void add(Write write) {
        writes.add(write);
    }

    void add(AddColumns change) {
        schemaChanges.add(change);
    }

    void add(DeletePrepared delete) {
        deletes.add(delete);
    }

    void add(TaskPrepared rewrite) {
        rewrites.add(rewrite);
    }

    /** Work began off the commit path (a delete finding its rows, a maintenance task) that may still queue a commit. */
    void preparationStarted() {
        preparing++;
    }

    void preparationEnded() {
        if (preparing == 0) {
            throw new IllegalStateException("no preparation was started");
        }
        preparing--;
    }

    /** The next commit by the rule above, now holding the commit path; empty while a commit holds it or none waits. */
    Optional<Next> startNext() {
        if (committing || !hasWork()) {
            return Optional.empty();
        }
        committing = true;
        if (!deletes.isEmpty()) {
            return Optional.of(new Delete(deletes.poll()));
        }
        if (!schemaChanges.isEmpty()) {
            return Optional.of(new SchemaChange(schemaChanges.poll()));
        }
        if (!rewrites.isEmpty()) {
            return Optional.of(new Rewrite(rewrites.poll()));
        }
        List<Write> group = List.copyOf(writes.subList(0, Math.min(writes.size(), MAX_WRITES_PER_COMMIT)));
        writes.subList(0, group.size()).clear();
        return Optional.of(new Writes(group));
    }

    /** The commit that held the commit path ended (or was not made after all). */
    void ended() {
        committing = false;
    }

    /** The writes still waiting, removed: after a failed commit the writer reloads and takes them again. */
    List<Write> drainWrites() {
        List<Write> drained = List.copyOf(writes);
        writes.clear();
        return drained;
    }

    /**
     * Nothing in flight and nothing waiting: the only moment the writer may stop. An entity waiting on its own
     * blocking work receives no messages and looks idle to sharding; stopping it then would lose the replies.
     */
    boolean idle() {
        return !committing && preparing == 0 && !hasWork();
    }

    private boolean hasWork() {
        return !deletes.isEmpty() || !schemaChanges.isEmpty() || !rewrites.isEmpty() || !writes.isEmpty();
    }
}
