package io.lakeshard.cluster.node;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import io.lakeshard.cluster.JournalBackoff;
import io.lakeshard.cluster.maintenance.MaintenanceScheduler;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A node's own settings, read once from {@code lakeshard.*} (defaults and the environment variables that override
 * them: {@code lakeshard-cluster.conf}). The journal reads its own section ({@link JournalDatabase}).
 *
 * @param dataDir where the embedded journal, DuckDB's spill files and the file cache live
 * @param askTimeout how long a node waits for another actor (a writer, the registry) to answer
 * @param resendInterval how often a keyed write or a registry read is sent again while unanswered
 *     ({@link io.lakeshard.cluster.ResendingAsk})
 * @param snapshotPollInterval how often every node checks the logs of tables it has snapshots of, beside the push
 * @param dataRole the members that run writers, registries and the scheduler
 * @param seedNodesConfigured whether {@code akka.cluster.seed-nodes} names any; none (and no Kubernetes discovery):
 *     the node forms a cluster of itself
 * @param inlineWriteThresholdBytes batches up to this size travel to the writer as Arrow; larger ones are encoded here
 * @param storage the shared storage every node reads and writes
 * @param query the DuckDB engine's limits
 * @param journalBackoff how the registry and the scheduler come back after the journal failed them
 */
public record NodeSettings(
        Path dataDir,
        Duration askTimeout,
        Duration resendInterval,
        Duration snapshotPollInterval,
        String dataRole,
        Discovery discovery,
        boolean seedNodesConfigured,
        boolean managementEnabled,
        long inlineWriteThresholdBytes,
        StorageSettings storage,
        QuerySettings query,
        MaintenanceScheduler.Settings maintenance,
        JournalBackoff journalBackoff) {

    /** How members find each other. */
    public enum Discovery {
        /** {@code akka.cluster.seed-nodes}; none: a cluster of this one node. */
        SEED_NODES,
        /** akka-management's cluster bootstrap through the Kubernetes API. */
        KUBERNETES_API
    }

    /** @param maxTempDirectorySize how much DuckDB may spill to disk, in DuckDB's size syntax ("10GB") */
    public record QuerySettings(int threads, String memoryLimit, String maxTempDirectorySize, int batchRows) {
        public QuerySettings {
            requireNonNull(memoryLimit, "memoryLimit is null");
            requireNonNull(maxTempDirectorySize, "maxTempDirectorySize is null");
            if (threads < 1) {
                throw new IllegalArgumentException("lakeshard.query.threads: expected at least 1, got " + threads);
            }
            if (batchRows < 1) {
                throw new IllegalArgumentException("lakeshard.query.batch-rows: expected at least 1, got " + batchRows);
            }
        }
    }

    public NodeSettings {
        requireNonNull(dataDir, "dataDir is null");
        requireNonNull(askTimeout, "askTimeout is null");
        requireNonNull(resendInterval, "resendInterval is null");
        if (resendInterval.isNegative() || resendInterval.isZero()) {
            throw new IllegalArgumentException("lakeshard.resend-interval: expected a positive duration, got " + resendInterval);
        }
        requireNonNull(snapshotPollInterval, "snapshotPollInterval is null");
        requireNonNull(dataRole, "dataRole is null");
        requireNonNull(discovery, "discovery is null");
        requireNonNull(storage, "storage is null");
        requireNonNull(query, "query is null");
        requireNonNull(maintenance, "maintenance is null");
        requireNonNull(journalBackoff, "journalBackoff is null");
        if (inlineWriteThresholdBytes < 0) {
            throw new IllegalArgumentException("lakeshard.inline-write-threshold-bytes: expected 0 or more, got " + inlineWriteThresholdBytes);
        }
    }

    public static NodeSettings from(Config config) {
        Config lakeshard = config.getConfig("lakeshard");
        Config query = lakeshard.getConfig("query");
        Config maintenance = lakeshard.getConfig("maintenance");
        Config backoff = lakeshard.getConfig("journal.failure-backoff");
        return new NodeSettings(
                Path.of(lakeshard.getString("data-dir")).toAbsolutePath(),
                lakeshard.getDuration("ask-timeout"),
                lakeshard.getDuration("resend-interval"),
                lakeshard.getDuration("snapshot-poll-interval"),
                lakeshard.getString("cluster.data-role"),
                discovery(lakeshard.getString("cluster.discovery")),
                !config.getStringList("akka.cluster.seed-nodes").isEmpty(),
                lakeshard.getBoolean("management.enabled"),
                lakeshard.getBytes("inline-write-threshold-bytes"),
                StorageSettings.from(config),
                new QuerySettings(query.getInt("threads"), query.getString("memory-limit"),
                        query.getString("max-temp-directory-size"), query.getInt("batch-rows")),
                new MaintenanceScheduler.Settings(maintenance.getDuration("tick-interval"), maintenance.getDuration("lease-duration"),
                        maintenance.getDuration("initial-backoff"), maintenance.getDuration("purge-after")),
                new JournalBackoff(backoff.getDuration("min"), backoff.getDuration("max")));
    }

    private static Discovery discovery(String value) {
        return switch (value) {
            case "seed-nodes" -> Discovery.SEED_NODES;
            case "kubernetes-api" -> Discovery.KUBERNETES_API;
            default -> throw new IllegalArgumentException(
                    "lakeshard.cluster.discovery: expected seed-nodes or kubernetes-api, got '" + value + "'");
        };
    }
}
