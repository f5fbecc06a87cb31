package io.lakeshard.cluster.maintenance;

import io.lakeshard.cluster.CborSerializable;
import io.lakeshard.cluster.table.TableRef;

/** What a table's writer tells the scheduler about a leased task. */
public sealed interface TaskReport extends CborSerializable {
    TableRef table();

    TaskType type();

    long leaseSequence();

    record Done(TableRef table, TaskType type, long leaseSequence, String summary) implements TaskReport {}

    /** The writer would not run it: the lease was stale or expired, or another task was running. */
    record Refused(TableRef table, TaskType type, long leaseSequence, String reason) implements TaskReport {}

    record Failed(TableRef table, TaskType type, long leaseSequence, String reason) implements TaskReport {}
}
