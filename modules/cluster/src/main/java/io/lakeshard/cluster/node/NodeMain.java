package io.lakeshard.cluster.node;

import akka.cluster.typed.Cluster;
import com.typesafe.config.ConfigFactory;
import org.slf4j.LoggerFactory;

/**
 * Runs one node until it is terminated. Configuration: {@code -Dconfig.file=...}, {@code -Dkey=value} system
 * properties, and the {@code LAKESHARD_*} environment variables named in lakeshard-cluster.conf.
 */
public final class NodeMain {
    private NodeMain() {}

    public static void main(String[] args) throws Exception {
        CommonPool.sizeForCallbacks();
        LakeshardNode node = LakeshardNode.start(ConfigFactory.empty());
        System.out.println("lakeshard node " + Cluster.get(node.system()).selfMember().address() + " started");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                LoggerFactory.getLogger(NodeMain.class).error("stopping the node failed", e);
            }
        }));
        node.system().getWhenTerminated().toCompletableFuture().join();
    }
}
