package io.lakeshard.server;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.japi.function.Function;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lakeshard.api.v1.AdminServicePowerApiHandlerFactory;
import io.lakeshard.api.v1.DatasetServicePowerApiHandlerFactory;
import io.lakeshard.api.v1.IngestServicePowerApiHandlerFactory;
import io.lakeshard.api.v1.QueryServicePowerApiHandlerFactory;
import io.lakeshard.cluster.node.LakeshardNode;
import io.lakeshard.server.auth.ApiKeys;
import io.lakeshard.server.grpc.AdminGrpc;
import io.lakeshard.server.grpc.DatasetGrpc;
import io.lakeshard.server.grpc.IngestGrpc;
import io.lakeshard.server.grpc.QueryGrpc;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * A Lakeshard node serving the gRPC API. With no API keys configured (the embedded default) it makes a development
 * key for tenant {@code dev} and prints it.
 */
public final class LakeshardServer implements AutoCloseable {
    private final LakeshardNode node;
    private final ServerBinding binding;
    private final String developmentKey;

    private LakeshardServer(LakeshardNode node, ServerBinding binding, String developmentKey) {
        this.node = node;
        this.binding = binding;
        this.developmentKey = developmentKey;
    }

    public static LakeshardServer start(Config overrides) throws Exception {
        Config config = LakeshardNode.config(overrides, ConfigFactory.parseResourcesAnySyntax("lakeshard-server"));
        LakeshardNode node = LakeshardNode.start(config);
        try {
            ActorSystem<?> system = node.system();
            ApiKeys keys = ApiKeys.fromConfig(config);
            String developmentKey = null;
            if (keys.isEmpty()) {
                byte[] random = new byte[24];
                new SecureRandom().nextBytes(random);
                developmentKey = "dev_" + HexFormat.of().formatHex(random);
                keys = keys.with(developmentKey, new ApiKeys.Principal("dev", true));
            }
            Executor blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig("lakeshard.blocking-dispatcher"));
            var allocator = node.allocator().newChildAllocator("grpc", 0, Long.MAX_VALUE);
            Function<HttpRequest, CompletionStage<HttpResponse>> handler = akka.grpc.javadsl.ServiceHandler.concatOrNotFound(
                    DatasetServicePowerApiHandlerFactory.create(new DatasetGrpc(node, keys, allocator,
                            config.getDuration("lakeshard.maintenance.purge-after")), system),
                    IngestServicePowerApiHandlerFactory.create(new IngestGrpc(node, keys, allocator, new IngestGrpc.Limits(
                            config.getBytes("lakeshard.server.max-message-bytes"), config.getLong("lakeshard.server.max-rows-per-write"))), system),
                    QueryServicePowerApiHandlerFactory.create(new QueryGrpc(node, keys, node.catalog(),
                            blocking, config.getLong("lakeshard.server.default-row-limit"),
                            config.getDuration("lakeshard.server.default-query-timeout"),
                            config.getInt("lakeshard.server.max-concurrent-queries-per-tenant")), system),
                    AdminServicePowerApiHandlerFactory.create(new AdminGrpc(node, keys, blocking), system));
            Function<HttpRequest, CompletionStage<HttpResponse>> withMetrics = request ->
                    request.getUri().path().equals("/metrics")
                            ? java.util.concurrent.CompletableFuture.completedFuture(HttpResponse.create().withEntity(
                                    akka.http.javadsl.model.ContentTypes.TEXT_PLAIN_UTF8, node.metrics().render()))
                            : handler.apply(request);
            var serverBuilder = Http.get(system).newServerAt(config.getString("lakeshard.server.host"), config.getInt("lakeshard.server.port"));
            if (config.getBoolean("lakeshard.server.tls.enabled")) {
                serverBuilder = serverBuilder.enableHttps(akka.http.javadsl.ConnectionContext.httpsServer(tls(config)));
            }
            ServerBinding binding = serverBuilder
                    .bind(withMetrics)
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            org.slf4j.LoggerFactory.getLogger(LakeshardServer.class).info("serving the gRPC API and /metrics on {}",
                    binding.localAddress());
            return new LakeshardServer(node, binding, developmentKey);
        } catch (Exception e) {
            node.close();
            throw e;
        }
    }

    private static javax.net.ssl.SSLContext tls(Config config) throws Exception {
        char[] password = config.getString("lakeshard.server.tls.keystore-password").toCharArray();
        java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(java.nio.file.Path.of(config.getString("lakeshard.server.tls.keystore")))) {
            keys.load(in, password);
        }
        javax.net.ssl.KeyManagerFactory managers = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        managers.init(keys, password);
        javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(managers.getKeyManagers(), null, new SecureRandom());
        return context;
    }

    public int port() {
        return binding.localAddress().getPort();
    }

    public LakeshardNode node() {
        return node;
    }

    /** The generated key when none was configured, else null. */
    public String developmentKey() {
        return developmentKey;
    }

    @Override
    public void close() throws Exception {
        binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        node.close();
    }

    public static void main(String[] args) throws Exception {
        if ("json".equalsIgnoreCase(System.getenv("LAKESHARD_LOG_FORMAT")) && System.getProperty("logback.configurationFile") == null) {
            // Before the first logger exists: logback reads this once.
            System.setProperty("logback.configurationFile", "logback-json.xml");
        }
        LakeshardServer server = start(ConfigFactory.empty());
        System.out.println("Lakeshard is listening for gRPC on " + server.binding.localAddress());
        if (server.developmentKey != null) {
            System.out.println("Development API key (tenant 'dev'): " + server.developmentKey);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
            } catch (Exception e) {
                e.printStackTrace();
            }
        }));
        server.node.system().getWhenTerminated().toCompletableFuture().join();
    }
}
