package io.lakeshard.service.exports;

import static java.util.Objects.requireNonNull;

import io.lakeshard.query.Consistency;
import io.lakeshard.query.exports.ParquetResultWriter;
import io.lakeshard.query.exports.ParquetResultWriter.WrittenFile;
import io.lakeshard.service.Audit;
import io.lakeshard.service.Principal;
import io.lakeshard.service.ServiceErrors;
import io.lakeshard.service.ServiceException;
import io.lakeshard.service.ServiceException.Code;
import io.lakeshard.service.files.TenantDirectories;
import io.lakeshard.service.query.Queries;
import io.lakeshard.service.query.QuerySpec;
import io.lakeshard.service.query.QueryStream;
import io.lakeshard.storage.fs.StorageRoot;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * A query's whole result written as Parquet files into a directory of the caller's tenant, on the server: the query
 * runs in the sandbox as any other (no COPY for users), and only its result reaches the writer. The files appear
 * together once complete: a local directory is renamed into place, S3 objects are put only after every file is
 * written.
 */
public final class Exports {
    private final Queries queries;
    private final TenantDirectories destinations;
    private final Function<URI, StorageRoot> stores;
    private final ParquetResultWriter writer;
    private final Path staging;
    private final long fileBytes;
    private final BufferAllocator allocator;
    private final Executor blocking;

    public Exports(Queries queries, TenantDirectories destinations, Function<URI, StorageRoot> stores, ParquetResultWriter writer, Path staging,
            long fileBytes, BufferAllocator allocator, Executor blocking) {
        this.queries = requireNonNull(queries, "queries is null");
        this.destinations = requireNonNull(destinations, "destinations is null");
        this.stores = requireNonNull(stores, "stores is null");
        this.writer = requireNonNull(writer, "writer is null");
        this.staging = requireNonNull(staging, "staging is null");
        this.fileBytes = fileBytes;
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.blocking = requireNonNull(blocking, "blocking is null");
    }

    /** @param timeout how long the query may run; empty: the server's default */
    public record ExportRequest(String sql, String destination, List<String> partitionBy, boolean overwrite, Optional<Duration> timeout) {}

    /** The files written (URIs), with the rows and bytes of the whole result. */
    public record ExportResult(String directory, List<ExportedFile> files, long rows, long bytes) {}

    public record ExportedFile(String uri, long bytes) {}

    public CompletionStage<ExportResult> export(Principal principal, ExportRequest request) {
        String directory = destinations.directory(principal.tenant(), request.destination(), "destination");
        if (destinations.isTenantDirectory(principal.tenant(), directory)) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "destination: name a directory inside " + directory + ", not the tenant's directory itself");
        }
        Set<String> seen = new HashSet<>();
        for (String column : request.partitionBy()) {
            if (column.isBlank() || !seen.add(column)) {
                throw new ServiceException(Code.INVALID_ARGUMENT, "partition_by: expected distinct column names, got " + request.partitionBy());
            }
        }
        QueryStream query = queries.start(principal, new QuerySpec("export", request.sql(), Optional.empty(), Optional.empty(),
                OptionalLong.of(Long.MAX_VALUE), request.timeout(), Optional.empty(), Consistency.READ_YOUR_WRITES, Map.of()));
        return Audit.audited(principal, "export", directory, CompletableFuture.supplyAsync(() -> {
            try (query) {
                query.open();
                return write(query, URI.create(directory), request);
            }
        }, blocking).handle((result, error) -> {
            if (error != null) {
                throw ServiceErrors.map(error);
            }
            return result;
        }));
    }

    private ExportResult write(QueryStream query, URI directory, ExportRequest request) {
        List<String> columns = query.batch().getSchema().getFields().stream().map(Field::getName).toList();
        for (String column : request.partitionBy()) {
            if (!columns.contains(column)) {
                throw new ServiceException(Code.INVALID_ARGUMENT, "partition_by: the result has no column '" + column + "'; it has " + columns);
            }
        }
        boolean local = "file".equals(directory.getScheme());
        StorageRoot store = stores.apply(directory);
        if (!store.listFiles(directory).isEmpty() && !request.overwrite()) {
            throw new ServiceException(Code.ALREADY_EXISTS, "destination: " + directory + " holds files; set overwrite to replace them");
        }
        // Written beside the destination (locally) or in the staging directory (for S3), then moved into place.
        Path written = local ? Path.of(directory).resolveSibling("." + Path.of(directory).getFileName() + ".export-" + UUID.randomUUID())
                : staging.resolve(UUID.randomUUID().toString());
        try {
            Files.createDirectories(written.getParent());
            List<WrittenFile> files;
            QueryStreamReader rows = new QueryStreamReader(query, allocator);
            try {
                files = writer.write(rows, written, request.partitionBy(), fileBytes);
            } catch (SQLException e) {
                if (rows.failure() != null) {
                    throw rows.failure();
                }
                throw new ServiceException(Code.INTERNAL, "writing the export failed: " + e.getMessage().lines().findFirst().orElse(""));
            }
            List<ExportedFile> exported = new ArrayList<>();
            if (local) {
                Path target = Path.of(directory);
                if (Files.exists(target)) {
                    store.deleteRecursively(target.toUri());
                }
                Files.move(written, target, StandardCopyOption.ATOMIC_MOVE);
                files.forEach(file -> exported.add(new ExportedFile(target.resolve(file.path()).toUri().toString(), file.bytes())));
            } else {
                if (request.overwrite()) {
                    store.deleteRecursively(directory);
                }
                for (WrittenFile file : files) {
                    URI uri = directory.resolve(file.path());
                    try (OutputStream out = store.create(uri)) {
                        Files.copy(written.resolve(file.path()), out);
                    }
                    exported.add(new ExportedFile(uri.toString(), file.bytes()));
                }
            }
            return new ExportResult(directory.toString(), List.copyOf(exported), query.rows(), exported.stream().mapToLong(ExportedFile::bytes).sum());
        } catch (IOException e) {
            throw new UncheckedIOException("exporting to " + directory + " failed", e);
        } finally {
            if (Files.exists(written)) {
                stores.apply(written.toUri()).deleteRecursively(written.toUri());
            }
        }
    }
}
