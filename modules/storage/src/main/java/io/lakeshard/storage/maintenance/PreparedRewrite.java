package io.lakeshard.storage.maintenance;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.table.CommitOperation;
import io.lakeshard.storage.table.DataFile;
import io.lakeshard.storage.table.TableSnapshot;
import io.lakeshard.storage.write.NewDataFile;
import java.util.List;

/**
 * A rewrite whose new files are written but not committed: the slow half of optimize, expire or delete, done off the
 * table writer's commit path. Commit it, or abandon it to delete its files. {@code commitOperation} is what the
 * commit records in the table's history.
 */
public record PreparedRewrite(
        String operation,
        TableSnapshot before,
        List<DataFile> removes,
        List<NewDataFile> adds,
        boolean dataChange,
        CommitOperation commitOperation,
        long startNanos) {

    public PreparedRewrite {
        requireNonNull(operation, "operation is null");
        requireNonNull(before, "before is null");
        requireNonNull(commitOperation, "commitOperation is null");
        removes = List.copyOf(removes);
        adds = List.copyOf(adds);
    }

    public long readVersion() {
        return before.version();
    }
}
