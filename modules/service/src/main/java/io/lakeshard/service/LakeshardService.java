package io.lakeshard.service;

import static java.util.Objects.requireNonNull;

import akka.Done;
import akka.actor.ClassicActorSystemProvider;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lakeshard.cluster.DirectoryRoots;
import io.lakeshard.cluster.node.LakeshardNode;
import io.lakeshard.cluster.query.ClusterQueries;
import io.lakeshard.query.exports.ParquetResultWriter;
import io.lakeshard.service.admin.Admin;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.service.datasets.Datasets;
import io.lakeshard.service.exports.ExportSettings;
import io.lakeshard.service.exports.Exports;
import io.lakeshard.service.files.TenantDirectories;
import io.lakeshard.service.imports.Imports;
import io.lakeshard.service.ingest.Ingest;
import io.lakeshard.service.query.Queries;
import io.lakeshard.service.sampling.SamplerWork;
import io.lakeshard.service.sampling.Samplers;
import io.lakeshard.service.sampling.SamplingSettings;
import io.lakeshard.service.traces.TraceIngest;
import io.lakeshard.service.traces.Traces;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The use cases of one node, for any door: a door authenticates the caller with {@link #keys()}, decodes its
 * protocol's request, calls {@link #datasets()}, {@link #ingest()}, {@link #queries()}, {@link #traces()} or
 * {@link #admin()} with the principal, and encodes the result or maps the {@link ServiceException}. Admission, limits,
 * metrics and audit happen here, once.
 */
public final class LakeshardService implements AutoCloseable {
    private final LakeshardNode node;
    private final ServiceSettings settings;
    private final ApiKeys keys;
    private final Optional<String> developmentKey;
    private final Datasets datasets;
    private final Ingest ingest;
    private final Queries queries;
    private final Traces traces;
    private final Admin admin;
    private final TraceIngest traceIngest;
    private final Imports imports;
    private final Exports exports;
    private final Samplers samplers;
    private final ParquetResultWriter exportWriter;
    private final BufferAllocator allocator;

    private LakeshardService(LakeshardNode node, ServiceSettings settings, ExportSettings exportSettings,
            SamplingSettings samplingSettings, ApiKeys keys, Optional<String> developmentKey) throws SQLException {
        this.node = requireNonNull(node, "node is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.keys = requireNonNull(keys, "keys is null");
        this.developmentKey = requireNonNull(developmentKey, "developmentKey is null");
        ActorSystem<Void> system = node.system();
        Executor blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig("lakeshard.blocking-dispatcher"));
        Duration askTimeout = node.settings().askTimeout();
        this.allocator = node.allocator().newChildAllocator("service", 0, Long.MAX_VALUE);
        TenantDirectories importDirectories = new TenantDirectories(node.importSettings().roots());
        this.datasets = new Datasets(node.registry(), node.datasets(), importDirectories, node.settings().maintenance().purgeAfter());
        this.ingest = new Ingest(node.ingest(), settings, node.metrics());
        this.queries = new Queries(node.queries(), node.catalog(), settings, node.metrics(), blocking, Clock.systemUTC(),
                system.address().toString(), local -> new ClusterQueries(system, local, askTimeout));
        this.traces = new Traces(queries, allocator, blocking, Clock.systemUTC());
        this.admin = new Admin(system, node.scheduler(), node.ingest(), node.snapshots(), node.queries(), node.datasets(), blocking,
                settings.defaultMaintenanceTimeout());
        this.traceIngest = new TraceIngest(ingest, datasets, allocator, node.metrics(), settings.maxOtlpRequestBytes());
        this.imports = new Imports(node.imports(), importDirectories, node.ingest());
        SamplerWork samplerWork = new SamplerWork(traces, ingest, datasets, allocator, Clock.systemUTC(), samplingSettings);
        this.samplers = Samplers.start(system, samplerWork, traces, node.settings().dataRole(), node.settings().journalBackoff(),
                node.metrics(), Clock.systemUTC(), askTimeout, node.settings().resendInterval());
        Path dataDir = node.settings().dataDir();
        List<Path> writable = new ArrayList<>(DirectoryRoots.local(exportSettings.roots()));
        writable.add(dataDir.resolve("export-staging"));
        this.exportWriter = new ParquetResultWriter(writable, dataDir.resolve("export-tmp"), exportSettings.memoryLimit(), allocator);
        this.exports = new Exports(queries, new TenantDirectories(exportSettings.roots()), node.stores(), exportWriter,
                dataDir.resolve("export-staging"), exportSettings.fileBytes(), allocator, blocking);
    }

    /**
     * The node's configuration: {@code overrides} over the application's config over {@code defaults} (a door's own)
     * over the service's and the node's defaults.
     */
    public static Config config(Config overrides, Config defaults) {
        return LakeshardNode.config(overrides, defaults.withFallback(ConfigFactory.parseResourcesAnySyntax("lakeshard-service")));
    }

    /**
     * Starts a node and its use cases. With no API keys configured (the embedded default) a development key for
     * tenant {@code dev}, an admin, is made up: see {@link #developmentKey()}.
     */
    public static LakeshardService start(Config config) throws Exception {
        ServiceSettings settings = ServiceSettings.from(config);
        ApiKeys keys = ApiKeys.from(config);
        Optional<String> developmentKey = Optional.empty();
        if (keys.isEmpty()) {
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            developmentKey = Optional.of("dev_" + HexFormat.of().formatHex(random));
            keys = keys.with(developmentKey.get(), Principal.admin("dev"));
        }
        LakeshardNode node = LakeshardNode.start(config);
        try {
            return new LakeshardService(node, settings, ExportSettings.from(config), SamplingSettings.from(config), keys,
                    developmentKey);
        } catch (RuntimeException | SQLException e) {
            node.close();
            throw e;
        }
    }

    public ApiKeys keys() {
        return keys;
    }

    /** The key made up because none was configured. */
    public Optional<String> developmentKey() {
        return developmentKey;
    }

    public ServiceSettings settings() {
        return settings;
    }

    public Datasets datasets() {
        return datasets;
    }

    public Ingest ingest() {
        return ingest;
    }

    public Queries queries() {
        return queries;
    }

    public Traces traces() {
        return traces;
    }

    public Exports exports() {
        return exports;
    }

    public Samplers samplers() {
        return samplers;
    }

    public Imports imports() {
        return imports;
    }

    public Admin admin() {
        return admin;
    }

    /** OTLP trace exports, for the OTLP doors. */
    public TraceIngest traceIngest() {
        return traceIngest;
    }

    /** Arrow memory for a door's decoding and encoding. */
    public BufferAllocator allocator() {
        return allocator;
    }

    /** The node's metrics in Prometheus' text format. */
    public String metricsText() {
        return node.metrics().render();
    }

    /** What akka-http and akka-grpc doors are bound with. */
    public ClassicActorSystemProvider actorSystem() {
        return node.system();
    }

    public CompletionStage<Done> whenTerminated() {
        return node.system().getWhenTerminated();
    }

    /** The node underneath, for tests and embedding; doors use the use cases. */
    public LakeshardNode node() {
        return node;
    }

    @Override
    public void close() throws Exception {
        node.close();
        exportWriter.close();
    }
}
