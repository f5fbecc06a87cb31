package io.lakeshard.cluster.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How a node joins its cluster, from {@code lakeshard.cluster.discovery}. Both bootstrap methods run the same
 * akka-management cluster bootstrap; they differ only in where the contact points come from: the Kubernetes API,
 * or a fixed list of management endpoints.
 */
final class Bootstrap {
    private static final String SEED_NODES = "seed-nodes";
    private static final String KUBERNETES_API = "kubernetes-api";
    private static final String CONFIG = "config";

    private Bootstrap() {}

    static boolean enabled(Config config) {
        return !method(config).equals(SEED_NODES);
    }

    /** The discovery settings the chosen method needs; empty for seed nodes. */
    static Config discoveryConfig(Config config) {
        String method = method(config);
        if (method.equals(SEED_NODES)) {
            return ConfigFactory.empty();
        }
        Config discovery = ConfigFactory.empty().withValue("akka.management.cluster.bootstrap.contact-point-discovery.discovery-method",
                ConfigValueFactory.fromAnyRef(method));
        if (method.equals(KUBERNETES_API)) {
            return discovery;
        }
        String service = config.getString("akka.management.cluster.bootstrap.contact-point-discovery.service-name");
        List<Map<String, Object>> endpoints = new ArrayList<>();
        for (String endpoint : config.getString("lakeshard.cluster.bootstrap-endpoints").split(",")) {
            String trimmed = endpoint.trim();
            int colon = trimmed.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("lakeshard.cluster.bootstrap-endpoints: expected host:port, got '" + trimmed + "'");
            }
            endpoints.add(Map.of("host", trimmed.substring(0, colon), "port", Integer.parseInt(trimmed.substring(colon + 1))));
        }
        return discovery.withValue("akka.discovery.config.services." + service + ".endpoints",
                ConfigValueFactory.fromIterable(endpoints));
    }

    private static String method(Config config) {
        String method = config.getString("lakeshard.cluster.discovery");
        if (!List.of(SEED_NODES, KUBERNETES_API, CONFIG).contains(method)) {
            throw new IllegalArgumentException("lakeshard.cluster.discovery: expected seed-nodes, kubernetes-api or config, got '"
                    + method + "'");
        }
        return method;
    }
}
