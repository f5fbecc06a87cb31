package io.lakeshard.cluster.imports;

import static java.util.Objects.requireNonNull;

import io.lakeshard.cluster.table.IngestRouter;
import io.lakeshard.cluster.table.TableEntity;
import io.lakeshard.query.imports.FileRejectedException;
import io.lakeshard.query.imports.FileSlice;
import io.lakeshard.query.imports.ParquetImporter;
import io.lakeshard.storage.StorageErrors;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.fs.StoredFile;
import io.lakeshard.storage.table.IdempotencyKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The blocking half of an import job, off the actor: lists a source, and reads one planned batch of files into the
 * dataset's columns and writes it under the job's key for that batch. The job decides; this only does.
 */
public final class ImportWork {
    private final Function<URI, StorageRoot> stores;
    private final ParquetImporter importer;
    private final IngestRouter router;
    private final Path staging;
    private final Executor blocking;

    /** @param stores the store a source URI is on, with the node's credentials for it */
    public ImportWork(Function<URI, StorageRoot> stores, ParquetImporter importer, IngestRouter router, Path staging, Executor blocking) {
        this.stores = requireNonNull(stores, "stores is null");
        this.importer = requireNonNull(importer, "importer is null");
        this.router = requireNonNull(router, "router is null");
        this.staging = requireNonNull(staging, "staging is null");
        this.blocking = requireNonNull(blocking, "blocking is null");
    }

    /** The files below the source matching the glob, skipping what Spark and Hadoop leave beside data ({@code _SUCCESS}, {@code .crc}). */
    public CompletionStage<List<FoundFile>> list(ImportSpec spec) {
        return CompletableFuture.supplyAsync(() -> {
            URI source = directory(spec.source());
            PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + spec.glob());
            List<FoundFile> found = new ArrayList<>();
            for (StoredFile file : stores.apply(source).listFiles(source)) {
                String relative = relative(source, file.uri());
                if (relative.isEmpty() || hidden(relative) || !matcher.matches(Path.of(relative))) {
                    continue;
                }
                found.add(new FoundFile(relative, file.uri().toString(), file.size(), file.modifiedMillis(), file.version(),
                        partitionValues(relative)));
            }
            found.sort((a, b) -> a.path().compareTo(b.path()));
            return found;
        }, blocking);
    }

    /** The outcome of one batch. */
    public sealed interface Outcome {}

    /** @param rowsPerPart the rows read from each part, in the plan's order */
    public record Committed(List<Long> rowsPerPart, long version, boolean replay) implements Outcome {}

    /** Files that can never be imported: the batch goes again without them. */
    public record Rejected(Map<Integer, String> reasons) implements Outcome {}

    /** The batch's files must be read one at a time to find the one that failed. */
    public record Split() implements Outcome {}

    /** A file holds more rows than one write: it is imported in slices. */
    public record Sized(int file, long rows) implements Outcome {}

    /** The batch's files hold more rows than one write: it keeps its first {@code keep} parts. */
    public record Trimmed(int keep) implements Outcome {}

    /** Nothing written that counts; try again later. */
    public record Retry(String reason) implements Outcome {}

    /** A planned batch's file and rows; {@code toRow} -1: the whole file. */
    public record Part(int file, FoundFile found, long fromRow, long toRow) {}

    /**
     * Reads the parts and writes them as one write keyed {@code (appId, sequence)}: a batch tried again after a crash
     * or a lost answer is the same key, and the table answers it as a replay.
     */
    public CompletionStage<Outcome> run(ImportSpec spec, String appId, long sequence, List<Part> parts, long maxRowsPerWrite) {
        return router.table(spec.tenant(), spec.dataset()).thenComposeAsync(record -> {
            List<Path> staged = new ArrayList<>();
            List<Long> rowsPerPart = new ArrayList<>();
            VectorSchemaRoot batch;
            try {
                List<FileSlice> slices = new ArrayList<>();
                long total = 0;
                for (int i = 0; i < parts.size(); i++) {
                    Part part = parts.get(i);
                    Path local = local(part.found(), staged);
                    long toRow = part.toRow();
                    if (toRow < 0) {
                        long rows;
                        try {
                            rows = importer.rowCount(local);
                        } catch (FileRejectedException e) {
                            return done(new Rejected(Map.of(part.file(), e.getMessage())));
                        }
                        if (rows > maxRowsPerWrite && i == 0) {
                            return done(new Sized(part.file(), rows));
                        }
                        toRow = rows;
                    }
                    total += toRow - part.fromRow();
                    if (total > maxRowsPerWrite && i > 0) {
                        // Small files, but too many rows for one write: the batch keeps the files before this one.
                        return done(new Trimmed(i));
                    }
                    slices.add(new FileSlice(local, part.found().partitionValues(), part.fromRow(), toRow));
                    rowsPerPart.add(toRow - part.fromRow());
                }
                try {
                    batch = importer.read(slices, record.spec().toDefinition().userSchema());
                } catch (FileRejectedException e) {
                    return done(e.slice() < 0 ? new Split() : new Rejected(Map.of(parts.get(e.slice()).file(), e.getMessage())));
                }
            } catch (RuntimeException e) {
                if (StorageErrors.isUnavailable(e)) {
                    return done(new Retry(e.getMessage()));
                }
                throw e;
            } finally {
                staged.forEach(ImportWork::deleteQuietly);
            }
            return router.write(spec.tenant(), spec.dataset(), batch, new IdempotencyKey(appId, sequence)).<Outcome>handle((reply, error) -> {
                batch.close();
                if (error != null) {
                    return new Retry(error.getMessage());
                }
                if (reply instanceof TableEntity.WriteAck ack) {
                    return new Committed(List.copyOf(rowsPerPart), ack.version(), !ack.applied());
                }
                TableEntity.WriteRejected rejected = (TableEntity.WriteRejected) reply;
                if (rejected.retryable()) {
                    return new Retry(rejected.message());
                }
                String reason = rejected.field().isEmpty() ? rejected.message() : rejected.field() + ": " + rejected.message();
                return parts.size() == 1 ? new Rejected(Map.of(parts.get(0).file(), reason)) : new Split();
            });
        }, blocking);
    }

    private static CompletionStage<Outcome> done(Outcome outcome) {
        return CompletableFuture.completedFuture(outcome);
    }

    /** A local file DuckDB may read: the file itself on a local source, else a copy in the staging directory. */
    private Path local(FoundFile found, List<Path> staged) {
        URI uri = URI.create(found.uri());
        if ("file".equals(uri.getScheme())) {
            return Path.of(uri);
        }
        try {
            Files.createDirectories(staging);
            Path copy = staging.resolve(UUID.randomUUID() + ".parquet");
            staged.add(copy);
            try (InputStream in = stores.apply(uri).open(uri)) {
                Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
            }
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException("staging " + uri + " failed", e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // The staging directory is emptied when the node starts.
        }
    }

    static URI directory(String source) {
        return URI.create(source.endsWith("/") ? source : source + "/");
    }

    private static String relative(URI directory, URI file) {
        String base = directory.getPath();
        String path = file.getPath();
        return path.startsWith(base) ? path.substring(base.length()) : "";
    }

    private static boolean hidden(String relative) {
        for (String part : relative.split("/")) {
            if (part.startsWith("_") && !part.contains("=") || part.startsWith(".") || part.endsWith(".crc")) {
                return true;
            }
        }
        return false;
    }

    /** {@code region=eu/day=2026-11-30/part-0.parquet}: the directories' keys and (URL-decoded) values. */
    static Map<String, String> partitionValues(String relative) {
        Map<String, String> values = new LinkedHashMap<>();
        String[] parts = relative.split("/");
        for (int i = 0; i < parts.length - 1; i++) {
            int equals = parts[i].indexOf('=');
            if (equals > 0) {
                values.put(parts[i].substring(0, equals),
                        URLDecoder.decode(parts[i].substring(equals + 1), StandardCharsets.UTF_8));
            }
        }
        return values;
    }
}
