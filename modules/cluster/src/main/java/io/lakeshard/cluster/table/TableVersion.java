package io.lakeshard.cluster.table;

import io.lakeshard.cluster.CborSerializable;

/** Published to every node after each commit, so each refreshes its snapshot at once. */
public record TableVersion(TableRef table, long version) implements CborSerializable {
    public static final String TOPIC = "lakeshard-table-versions";
}
