package io.lakeshard.server;

import static java.util.Objects.requireNonNull;

import akka.actor.ClassicActorSystemProvider;
import akka.grpc.javadsl.ServiceHandler;
import akka.http.javadsl.ConnectionContext;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.ServerBuilder;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.japi.function.Function;
import akka.stream.Materializer;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lakeshard.api.v1.AdminServicePowerApiHandlerFactory;
import io.lakeshard.api.v1.DatasetServicePowerApiHandlerFactory;
import io.lakeshard.api.v1.ExportServicePowerApiHandlerFactory;
import io.lakeshard.api.v1.ImportServicePowerApiHandlerFactory;
import io.lakeshard.api.v1.IngestServicePowerApiHandlerFactory;
import io.lakeshard.api.v1.QueryServicePowerApiHandlerFactory;
import io.lakeshard.api.v1.SamplingServicePowerApiHandlerFactory;
import io.lakeshard.api.v1.TraceQueryServicePowerApiHandlerFactory;
import io.lakeshard.cluster.node.CommonPool;
import io.lakeshard.flight.FlightSettings;
import io.lakeshard.flight.FlightSqlServer;
import io.lakeshard.server.grpc.AdminGrpc;
import io.lakeshard.server.grpc.DatasetGrpc;
import io.lakeshard.server.grpc.ExportGrpc;
import io.lakeshard.server.grpc.ImportGrpc;
import io.lakeshard.server.grpc.IngestGrpc;
import io.lakeshard.server.grpc.OtlpTraceGrpc;
import io.lakeshard.server.grpc.QueryGrpc;
import io.lakeshard.server.grpc.SamplingGrpc;
import io.lakeshard.server.grpc.TraceGrpc;
import io.lakeshard.server.otlp.OtlpHttp;
import io.lakeshard.service.LakeshardService;
import io.opentelemetry.proto.collector.trace.v1.TraceServicePowerApiHandlerFactory;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.slf4j.LoggerFactory;

/**
 * A Lakeshard node serving the gRPC API, OTLP trace exports (gRPC and HTTP) and {@code /metrics} on one port, and
 * Arrow Flight SQL on another: the service layer with its doors in front. With
 * no API keys configured (the embedded default) the service makes a development key for tenant {@code dev}.
 */
public final class LakeshardServer implements AutoCloseable {
    private final LakeshardService service;
    private final ServerBinding binding;
    private final Optional<FlightSqlServer> flight;

    private LakeshardServer(LakeshardService service, ServerBinding binding, Optional<FlightSqlServer> flight) {
        this.service = requireNonNull(service, "service is null");
        this.binding = requireNonNull(binding, "binding is null");
        this.flight = requireNonNull(flight, "flight is null");
    }

    public static LakeshardServer start(Config overrides) throws Exception {
        Config config = LakeshardService.config(overrides, ConfigFactory.parseResourcesAnySyntax("lakeshard-server")
                .withFallback(ConfigFactory.parseResourcesAnySyntax("lakeshard-flight")));
        ServerSettings settings = ServerSettings.from(config);
        FlightSettings flightSettings = FlightSettings.from(config);
        LakeshardService service = LakeshardService.start(config);
        try {
            ClassicActorSystemProvider system = service.actorSystem();
            var allocator = service.allocator();
            Function<HttpRequest, CompletionStage<HttpResponse>> grpc = ServiceHandler.concatOrNotFound(
                    DatasetServicePowerApiHandlerFactory.create(new DatasetGrpc(service.datasets(), service.keys(), allocator), system),
                    IngestServicePowerApiHandlerFactory.create(new IngestGrpc(service.ingest(), service.keys(), allocator,
                            Materializer.matFromSystem(system)), system),
                    QueryServicePowerApiHandlerFactory.create(new QueryGrpc(service.queries(), service.keys(), allocator,
                            "lakeshard.blocking-dispatcher"), system),
                    TraceQueryServicePowerApiHandlerFactory.create(new TraceGrpc(service.traces(), service.keys()), system),
                    AdminServicePowerApiHandlerFactory.create(new AdminGrpc(service.admin(), service.keys()), system),
                    ImportServicePowerApiHandlerFactory.create(new ImportGrpc(service.imports(), service.keys()), system),
                    ExportServicePowerApiHandlerFactory.create(new ExportGrpc(service.exports(), service.keys()), system),
                    SamplingServicePowerApiHandlerFactory.create(new SamplingGrpc(service.samplers(), service.keys()), system),
                    TraceServicePowerApiHandlerFactory.create(new OtlpTraceGrpc(service.traceIngest(), service.keys()), system));
            OtlpHttp otlpHttp = new OtlpHttp(service.traceIngest(), service.keys(), Materializer.matFromSystem(system));
            Function<HttpRequest, CompletionStage<HttpResponse>> handler = request -> {
                if (request.getUri().path().equals("/metrics")) {
                    return CompletableFuture.completedFuture(HttpResponse.create().withEntity(ContentTypes.TEXT_PLAIN_UTF8, service.metricsText()));
                }
                return OtlpHttp.handles(request) ? otlpHttp.handle(request) : grpc.apply(request);
            };
            ServerBuilder server = Http.get(system).newServerAt(settings.host(), settings.port());
            if (settings.tls().isPresent()) {
                server = server.enableHttps(ConnectionContext.httpsServer(tls(settings.tls().get())));
            }
            ServerBinding binding = server.bind(handler).toCompletableFuture().get(30, TimeUnit.SECONDS);
            LoggerFactory.getLogger(LakeshardServer.class).info("serving the gRPC API and /metrics on {}", binding.localAddress());
            Optional<FlightSqlServer> flight = Optional.empty();
            try {
                if (flightSettings.enabled()) {
                    flight = Optional.of(FlightSqlServer.start(service, flightSettings));
                    LoggerFactory.getLogger(LakeshardServer.class).info("serving Arrow Flight SQL on {}:{}", flightSettings.host(),
                            flight.get().port());
                }
            } catch (Exception e) {
                binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
                throw e;
            }
            return new LakeshardServer(service, binding, flight);
        } catch (Exception e) {
            service.close();
            throw e;
        }
    }

    private static SSLContext tls(ServerSettings.Tls tls) throws Exception {
        char[] password = tls.password().toCharArray();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(tls.keystore())) {
            keys.load(in, password);
        }
        KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        managers.init(keys, password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(managers.getKeyManagers(), null, new SecureRandom());
        return context;
    }

    public int port() {
        return binding.localAddress().getPort();
    }

    /** The Flight SQL port, if Flight SQL is enabled. */
    public OptionalInt flightPort() {
        return flight.isPresent() ? OptionalInt.of(flight.get().port()) : OptionalInt.empty();
    }

    public LakeshardService service() {
        return service;
    }

    /** The generated key when none was configured, else null. */
    public String developmentKey() {
        return service.developmentKey().orElse(null);
    }

    @Override
    public void close() throws Exception {
        if (flight.isPresent()) {
            flight.get().close();
        }
        binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        service.close();
    }

    public static void main(String[] args) throws Exception {
        CommonPool.sizeForCallbacks();
        if ("json".equalsIgnoreCase(System.getenv("LAKESHARD_LOG_FORMAT")) && System.getProperty("logback.configurationFile") == null) {
            // Before the first logger exists: logback reads this once.
            System.setProperty("logback.configurationFile", "logback-json.xml");
        }
        LakeshardServer server = start(ConfigFactory.empty());
        System.out.println("Lakeshard is listening for gRPC on " + server.binding.localAddress());
        server.flightPort().ifPresent(port -> System.out.println("Lakeshard is listening for Arrow Flight SQL on port " + port));
        server.service.developmentKey().ifPresent(key -> System.out.println("Development API key (tenant 'dev'): " + key));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
            } catch (Exception e) {
                LoggerFactory.getLogger(LakeshardServer.class).error("stopping the node failed", e);
            }
        }));
        server.service.whenTerminated().toCompletableFuture().join();
    }
}
