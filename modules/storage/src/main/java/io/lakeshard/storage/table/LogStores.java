package io.lakeshard.storage.table;

import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.internal.fs.HadoopStorage;
import io.lakeshard.storage.internal.log.S3ConditionalLogStore;
import java.io.IOException;
import java.util.Map;
import org.apache.hadoop.fs.Path;

/** Which put-if-absent implementation commits to the log, per filesystem scheme. */
public final class LogStores {
    private LogStores() {}

    /**
     * Whether two writers racing to commit one version on {@code storage} cannot both win. Always true on a local
     * filesystem; on S3 it depends on the store's support for conditional writes, found out by trying.
     */
    public static boolean commitsArePutIfAbsent(StorageRoot storage) throws IOException {
        if (storage.isLocal()) {
            return true;
        }
        return S3ConditionalLogStore.refusesSecondCreate(HadoopStorage.of(storage).fileSystem(storage.uri()), new Path(storage.uri()));
    }

    /** The Hadoop setting that lets a store without conditional writes commit, guarded only by the single writer. */
    public static Map<String, String> singleWriterOnly() {
        return Map.of(S3ConditionalLogStore.CONDITIONAL_WRITES, "false");
    }
}
