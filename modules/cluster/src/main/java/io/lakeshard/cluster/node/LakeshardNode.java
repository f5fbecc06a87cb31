package io.lakeshard.cluster.node;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.pubsub.Topic;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import akka.management.cluster.bootstrap.ClusterBootstrap;
import akka.management.javadsl.AkkaManagement;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lakeshard.cluster.freshness.ClusterTableResolver;
import io.lakeshard.cluster.freshness.SnapshotService;
import io.lakeshard.cluster.imports.ImportJob;
import io.lakeshard.cluster.imports.ImportJobs;
import io.lakeshard.cluster.imports.ImportSettings;
import io.lakeshard.cluster.imports.ImportWork;
import io.lakeshard.cluster.maintenance.MaintenanceScheduler;
import io.lakeshard.cluster.metrics.Metrics;
import io.lakeshard.cluster.registry.DatasetRegistry;
import io.lakeshard.cluster.registry.DatasetService;
import io.lakeshard.cluster.registry.RegistryClient;
import io.lakeshard.cluster.table.GroupWriter;
import io.lakeshard.cluster.table.IngestRouter;
import io.lakeshard.cluster.table.TableEntity;
import io.lakeshard.cluster.table.TableStore;
import io.lakeshard.cluster.table.TableVersion;
import io.lakeshard.query.cache.RemoteFileCache;
import io.lakeshard.query.catalog.DatasetCatalog;
import io.lakeshard.query.engine.EngineSettings;
import io.lakeshard.query.engine.QueryEngine;
import io.lakeshard.query.imports.ParquetImporter;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.table.TableSettings;
import java.net.URI;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * Starts one Lakeshard node: the journal schema, the actor system and its cluster membership (seed nodes, or
 * Kubernetes bootstrap), the registry and table writers as sharded entities, snapshot freshness, the query engine,
 * and akka-management's health checks ({@code /ready}, {@code /alive}).
 */
public final class LakeshardNode implements AutoCloseable {
    private final NodeSettings settings;
    private final ActorSystem<Void> system;
    private final BufferAllocator allocator;
    private final TableStore tables;
    private final RegistryClient registry;
    private final SnapshotService snapshots;
    private final IngestRouter ingest;
    private final QueryEngine queries;
    private final ActorRef<MaintenanceScheduler.Command> scheduler;
    private final DatasetService datasets;
    private final Metrics metrics;
    private final DatasetCatalog catalog;
    private final ImportSettings importSettings;
    private final ImportJobs imports;
    private final ParquetImporter importer;
    private final Function<URI, StorageRoot> stores;

    private LakeshardNode(NodeSettings settings, ActorSystem<Void> system, BufferAllocator allocator, TableStore tables, RegistryClient registry,
            SnapshotService snapshots, IngestRouter ingest, QueryEngine queries, ActorRef<MaintenanceScheduler.Command> scheduler,
            DatasetService datasets, Metrics metrics, DatasetCatalog catalog, ImportSettings importSettings, ImportJobs imports,
            ParquetImporter importer, Function<URI, StorageRoot> stores) {
        this.stores = stores;
        this.settings = settings;
        this.importSettings = importSettings;
        this.imports = imports;
        this.importer = importer;
        this.metrics = metrics;
        this.catalog = catalog;
        this.system = system;
        this.allocator = allocator;
        this.tables = tables;
        this.registry = registry;
        this.snapshots = snapshots;
        this.ingest = ingest;
        this.queries = queries;
        this.scheduler = scheduler;
        this.datasets = datasets;
    }

    /** The node's configuration: {@code overrides} over the application's config over Lakeshard's defaults. */
    public static Config config(Config overrides) {
        return config(overrides, ConfigFactory.empty());
    }

    /**
     * The node's configuration: {@code overrides} over the application's config (-Dconfig.file) over
     * {@code defaults} (another layer's own, such as the server's) over Lakeshard's defaults.
     */
    public static Config config(Config overrides, Config defaults) {
        Config base = overrides
                .withFallback(ConfigFactory.defaultApplication())
                .withFallback(defaults)
                .withFallback(ConfigFactory.parseResourcesAnySyntax("lakeshard-cluster"));
        JournalDatabase journal = JournalDatabase.from(ConfigFactory.load(base));
        // Slick reads the global config: resolve everything in one load.
        return ConfigFactory.load(base.withFallback(journal.pluginConfig()));
    }

    public static LakeshardNode start(Config overrides) throws SQLException {
        Config config = config(overrides);
        JournalDatabase.from(config).createSchema();
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "lakeshard", config);
        try {
            return start(system, config);
        } catch (RuntimeException | SQLException e) {
            system.terminate();
            throw e;
        }
    }

    private static LakeshardNode start(ActorSystem<Void> system, Config config) throws SQLException {
        NodeSettings settings = NodeSettings.from(config);
        Executor blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig("lakeshard.blocking-dispatcher"));
        Path dataDir = settings.dataDir();
        Duration timeout = settings.askTimeout();
        StorageRoot storage = NodeStorage.open(settings.storage(), dataDir);
        BufferAllocator allocator = new RootAllocator();
        Clock clock = Clock.systemUTC();
        Function<URI, StorageRoot> stores = NodeStorage.sources(settings.storage(), dataDir);
        TableStore tables = new TableStore(storage, stores, TableSettings.defaults(), blocking);
        SnapshotService snapshots = new SnapshotService(tables);

        ActorRef<Topic.Command<TableVersion>> topic = system.systemActorOf(
                Topic.create(TableVersion.class, TableVersion.TOPIC), "table-versions", Props.empty());
        system.systemActorOf(snapshots.subscriber(topic, settings.snapshotPollInterval()), "snapshot-freshness", Props.empty());
        String dataRole = settings.dataRole();
        DatasetRegistry.init(system, tables, dataRole, settings.journalBackoff(), clock);
        Metrics metrics = new Metrics();
        metrics.gauge("lakeshard_snapshot_lag_versions", "Published table versions not yet in this node's snapshots", snapshots::lagVersions);
        metrics.gauge("lakeshard_snapshot_incremental_refreshes", "Snapshot refreshes that applied only new commits (hits)",
                snapshots::incrementalRefreshes);
        metrics.gauge("lakeshard_snapshot_full_loads", "Snapshot loads that replayed the log (misses)", snapshots::fullLoads);
        TableEntity.init(system, tables, new GroupWriter(allocator.newChildAllocator("group-writer", 0, Long.MAX_VALUE), clock, blocking),
                topic, dataRole, metrics, clock);

        RegistryClient registry = new RegistryClient(system, timeout, settings.resendInterval());
        IngestRouter ingest = new IngestRouter(system, registry, snapshots, tables,
                allocator.newChildAllocator("ingest", 0, Long.MAX_VALUE), settings.inlineWriteThresholdBytes(), timeout,
                settings.resendInterval(), clock);
        NodeSettings.QuerySettings query = settings.query();
        ImportSettings importSettings = ImportSettings.from(config, dataDir);
        // Adopted tables stay in the import directories, where queries read them.
        List<Path> readable = new ArrayList<>(NodeStorage.readableDirectories(storage));
        readable.addAll(importSettings.localRoots());
        EngineSettings engine = new EngineSettings(query.threads(), query.memoryLimit(), dataDir.resolve("duckdb-tmp"),
                query.maxTempDirectorySize(), readable, query.batchRows(), true);
        ClusterTableResolver resolver = new ClusterTableResolver(registry, snapshots, timeout, ingest::committedVersion);
        Optional<RemoteFileCache> fileCache = NodeStorage.fileCache(settings.storage(), storage, dataDir);
        QueryEngine queries = new QueryEngine(engine, resolver,
                allocator.newChildAllocator("queries", 0, Long.MAX_VALUE), fileCache);
        fileCache.ifPresent(cache -> {
            metrics.gauge("lakeshard_file_cache_hits", "Data-file reads served from the local copy", cache::hits);
            metrics.gauge("lakeshard_file_cache_misses", "Data-file reads that fetched from object storage", cache::misses);
            metrics.gauge("lakeshard_file_cache_bytes", "Bytes of data files held in the local cache", cache::bytes);
        });

        List<Path> importable = new ArrayList<>(importSettings.localRoots());
        importable.add(importSettings.stagingDirectory());
        ParquetImporter importer = new ParquetImporter(importable, dataDir.resolve("import-tmp"), importSettings.memoryLimit(),
                allocator.newChildAllocator("imports", 0, Long.MAX_VALUE));
        ImportJob.init(system, new ImportWork(stores, importer, ingest,
                importSettings.stagingDirectory(), blocking), importSettings, dataRole, settings.journalBackoff(), clock);
        ImportJobs imports = new ImportJobs(system, timeout, settings.resendInterval());

        ActorRef<MaintenanceScheduler.Command> scheduler = MaintenanceScheduler.init(system, settings.maintenance(),
                settings.journalBackoff(), dataRole, tables, registry, metrics, clock);
        DatasetService datasets = new DatasetService(system, registry, timeout);

        if (settings.managementEnabled()) {
            AkkaManagement.get(system).start();
        }
        if (settings.discovery() == NodeSettings.Discovery.KUBERNETES_API) {
            ClusterBootstrap.get(system).start();
        } else if (!settings.seedNodesConfigured()) {
            // No seeds: the embedded default, a cluster of this one node.
            Cluster cluster = Cluster.get(system);
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
        }
        metrics.gauge("lakeshard_queries_running", "Queries running on this node", queries::runningQueries);
        return new LakeshardNode(settings, system, allocator, tables, registry, snapshots, ingest, queries, scheduler, datasets, metrics,
                new DatasetCatalog(resolver), importSettings, imports, importer, stores);
    }

    public NodeSettings settings() {
        return settings;
    }

    public ActorSystem<Void> system() {
        return system;
    }

    public RegistryClient registry() {
        return registry;
    }

    public IngestRouter ingest() {
        return ingest;
    }

    public SnapshotService snapshots() {
        return snapshots;
    }

    public QueryEngine queries() {
        return queries;
    }

    /** The maintenance scheduler singleton, wherever it runs. */
    public ActorRef<MaintenanceScheduler.Command> scheduler() {
        return scheduler;
    }

    /** The tenants' catalogs and table descriptions, through the same resolver queries use. */
    public DatasetCatalog catalog() {
        return catalog;
    }

    public Metrics metrics() {
        return metrics;
    }

    /** Schema evolution, drop and policy changes, across the registry and the writers. */
    public DatasetService datasets() {
        return datasets;
    }

    public TableStore tables() {
        return tables;
    }

    public BufferAllocator allocator() {
        return allocator;
    }

    public ImportSettings importSettings() {
        return importSettings;
    }

    /** The store a file URI is on ({@code file:} or {@code s3a:}), with the node's settings and credentials for it. */
    public Function<URI, StorageRoot> stores() {
        return stores;
    }

    public ImportJobs imports() {
        return imports;
    }

    @Override
    public void close() throws Exception {
        queries.close();
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        importer.close();
    }
}
