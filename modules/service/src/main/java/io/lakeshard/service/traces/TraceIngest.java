package io.lakeshard.service.traces;

import static java.util.Objects.requireNonNull;

import io.lakeshard.cluster.metrics.Metrics;
import io.lakeshard.service.Principal;
import io.lakeshard.service.ServiceErrors;
import io.lakeshard.service.ServiceException;
import io.lakeshard.service.ServiceException.Code;
import io.lakeshard.service.datasets.DatasetInfo;
import io.lakeshard.service.datasets.Datasets;
import io.lakeshard.service.ingest.Ingest;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import io.lakeshard.traces.SpanSchema;
import io.lakeshard.traces.otlp.OtlpToArrow;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.arrow.memory.BufferAllocator;

/**
 * OTLP trace exports into a tenant's trace dataset, for every OTLP door (gRPC, HTTP). An export is acknowledged once
 * its spans are committed. Exports carry no idempotency key, so they are written unkeyed: an exporter's retry of an
 * export that did commit stores its spans again, and trace queries and optimize keep each (trace id, span id) once.
 * Exports that arrive while a dataset's writes are busy go together as one write ({@link ExportBatcher}), and
 * small writes meet again in the table writer's group commit.
 */
public final class TraceIngest {
    private final ExportBatcher batcher;
    private final Datasets datasets;
    private final BufferAllocator allocator;
    private final Metrics metrics;
    private final long maxRequestBytes;
    /** Writes per dataset at a time (the cores the Parquet encoding may use); exports arriving meanwhile go together. */
    static final int WRITES_IN_FLIGHT = Math.max(2, Runtime.getRuntime().availableProcessors());
    /** The most spans exports are batched into: about one row group, and far below an inline write's row limit. */
    static final long MAX_SPANS_PER_WRITE = 65_536;
    /** The most OTLP bytes exports are batched into, well under a write's limit (lakeshard.server.max-message-bytes). */
    static final long MAX_BYTES_PER_WRITE = 32L << 20;
    /** Datasets known to be trace datasets, so that an export costs no registry round trip beyond the write's own. */
    private final Map<TenantDataset, Boolean> ready = new ConcurrentHashMap<>();

    private record TenantDataset(String tenant, DatasetName name) {}

    /** What became of an export: the spans stored, and those refused one by one (OTLP's partial success). */
    public record ExportResult(long acceptedSpans, long rejectedSpans, String errorMessage) {
        public ExportResult {
            requireNonNull(errorMessage, "errorMessage is null");
        }
    }

    /** @param maxRequestBytes the largest export, decompressed, a door may hand in */
    public TraceIngest(Ingest ingest, Datasets datasets, BufferAllocator allocator, Metrics metrics, long maxRequestBytes) {
        this.batcher = new ExportBatcher(requireNonNull(ingest, "ingest is null")::write, allocator, WRITES_IN_FLIGHT, MAX_SPANS_PER_WRITE,
                MAX_BYTES_PER_WRITE);
        this.datasets = requireNonNull(datasets, "datasets is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        if (maxRequestBytes <= 0) {
            throw new IllegalArgumentException("maxRequestBytes must be positive");
        }
        this.maxRequestBytes = maxRequestBytes;
    }

    public long maxRequestBytes() {
        return maxRequestBytes;
    }

    /** Refuses an export over the limit, before a door decodes (or keeps decompressing) it. */
    public void checkSize(long bytes) {
        if (bytes > maxRequestBytes) {
            throw new ServiceException(Code.RESOURCE_EXHAUSTED, "the export is over the limit of " + maxRequestBytes
                    + " bytes (lakeshard.otlp.max-request-bytes); send smaller batches");
        }
    }

    /**
     * Stores an export's valid spans in {@code dataset} (the tenant's default trace dataset when empty), creating
     * the dataset on the first export to it.
     *
     * @param encodedBytes the export's size as received, decompressed
     */
    public CompletionStage<ExportResult> export(Principal principal, Optional<String> dataset, ExportTraceServiceRequest request,
            long encodedBytes) {
        checkSize(encodedBytes);
        DatasetName name = dataset.filter(text -> !text.isBlank()).map(TraceIngest::parse).orElse(SpanSchema.DEFAULT_DATASET);
        OtlpToArrow.Converted decoded = OtlpToArrow.convert(request, allocator);
        long accepted = decoded.spans().getRowCount();
        spans("rejected", decoded.rejectedSpans());
        if (accepted == 0) {
            decoded.spans().close();
            return CompletableFuture.completedFuture(new ExportResult(0, decoded.rejectedSpans(), decoded.errorMessage()));
        }
        TenantDataset target = new TenantDataset(principal.tenant(), name);
        return ensureTraceDataset(principal, target)
                .handle((ignored, error) -> {
                    if (error != null) {
                        decoded.spans().close();
                        throw ServiceErrors.map(error);
                    }
                    // From here the write owns the batch and closes it.
                    return batcher.write(principal, name, decoded.spans(), encodedBytes);
                })
                .thenCompose(write -> write)
                .handle((written, error) -> {
                    if (error != null) {
                        ServiceException failure = ServiceErrors.map(error);
                        exports("failed");
                        if (failure.code() == Code.NOT_FOUND) {
                            // Dropped since it was created here: the exporter's retry creates it again.
                            ready.remove(target);
                            throw new ServiceException(Code.UNAVAILABLE, "dataset " + name + " was dropped; retry");
                        }
                        throw failure;
                    }
                    exports("stored");
                    spans("stored", accepted);
                    return new ExportResult(accepted, decoded.rejectedSpans(), decoded.errorMessage());
                });
    }

    private CompletionStage<Void> ensureTraceDataset(Principal principal, TenantDataset target) {
        if (ready.containsKey(target)) {
            return CompletableFuture.completedFuture(null);
        }
        return datasets.get(principal, target.name())
                .handle((info, error) -> {
                    if (error == null) {
                        return CompletableFuture.completedFuture(info);
                    }
                    if (ServiceErrors.map(error).code() != Code.NOT_FOUND) {
                        throw ServiceErrors.map(error);
                    }
                    // Registering is idempotent: exporters racing to create it all get the same dataset.
                    return datasets.register(principal, target.name(), SpanSchema.definition(), MaintenancePolicy.defaults());
                })
                .thenCompose(stage -> stage)
                .thenAccept(info -> {
                    requireTraceDataset(info);
                    ready.put(target, Boolean.TRUE);
                });
    }

    private static void requireTraceDataset(DatasetInfo info) {
        if (!SpanSchema.isSpanTable(info.definition().userSchema())) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "x-lakeshard-dataset: dataset " + info.name()
                    + " is not a trace dataset; name a trace dataset or none (the default is " + SpanSchema.DEFAULT_DATASET + ")");
        }
    }

    private static DatasetName parse(String name) {
        try {
            return DatasetName.parse(name);
        } catch (InvalidInputException e) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "x-lakeshard-dataset: " + e.getMessage());
        }
    }

    private void spans(String result, long amount) {
        if (amount > 0) {
            metrics.count("lakeshard_otlp_spans_total", "OTLP spans by outcome", "result=\"" + result + "\"", amount);
        }
    }

    private void exports(String result) {
        metrics.count("lakeshard_otlp_exports_total", "OTLP exports by outcome", "result=\"" + result + "\"", 1);
    }
}
