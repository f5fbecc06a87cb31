package io.lakeshard.query.cache;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.fs.StorageRoot;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Local copies of data files that DuckDB cannot read where they are (object stores). Data files never change once
 * written, so a copy is valid forever: there is no invalidation, only eviction of the least recently used copies once
 * the cache holds more than its byte budget. A query pins the copies it reads until it ends.
 */
public final class RemoteFileCache {
    private static final int FETCH_THREADS = 8;

    private final Path directory;
    private final long maxBytes;
    private final StorageRoot storage;
    private final Map<URI, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private final ExecutorService fetches;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private long bytes;

    public RemoteFileCache(Path directory, long maxBytes, StorageRoot storage) throws IOException {
        this.directory = requireNonNull(directory, "directory is null").toAbsolutePath().normalize();
        this.maxBytes = maxBytes;
        this.storage = requireNonNull(storage, "storage is null");
        // Object stores answer each GET after a round trip: a query's files are fetched several at a time. Idle
        // threads end, so a cache that is no longer used holds none.
        ThreadPoolExecutor pool = new ThreadPoolExecutor(FETCH_THREADS, FETCH_THREADS, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), runnable -> {
                    Thread thread = new Thread(runnable, "remote-file-fetch");
                    thread.setDaemon(true);
                    return thread;
                });
        pool.allowCoreThreadTimeOut(true);
        this.fetches = pool;
        Files.createDirectories(this.directory);
        // Copies from an earlier process are not in the index: start empty rather than trust them.
        try (var stale = Files.list(this.directory)) {
            for (Path file : stale.toList()) {
                Files.deleteIfExists(file);
            }
        }
    }

    public Path directory() {
        return directory;
    }

    /** Files pinned for one query; closing releases them for eviction. */
    public final class Lease implements AutoCloseable {
        private final List<Entry> pinned = new ArrayList<>();
        private boolean closed;

        /** The local copy of {@code remote}, fetched if absent. */
        public Path localPath(URI remote) {
            Entry entry = acquire(remote);
            synchronized (RemoteFileCache.this) {
                pinned.add(entry);
            }
            return entry.path;
        }

        /** The local copies of {@code remotes}, the absent ones fetched in parallel. */
        public Map<URI, Path> localPaths(Collection<URI> remotes) {
            Map<URI, Future<Path>> pending = new LinkedHashMap<>();
            for (URI remote : remotes) {
                pending.computeIfAbsent(remote, uri -> fetches.submit(() -> localPath(uri)));
            }
            Map<URI, Path> paths = new LinkedHashMap<>();
            RuntimeException failure = null;
            for (Map.Entry<URI, Future<Path>> entry : pending.entrySet()) {
                try {
                    paths.put(entry.getKey(), entry.getValue().get());
                } catch (ExecutionException e) {
                    failure = failure != null ? failure : e.getCause() instanceof RuntimeException runtime
                            ? runtime : new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    pending.values().forEach(future -> future.cancel(true));
                    throw new IllegalStateException("interrupted while fetching data files", e);
                }
            }
            if (failure != null) {
                throw failure;
            }
            return paths;
        }

        @Override
        public void close() {
            synchronized (RemoteFileCache.this) {
                if (closed) {
                    return;
                }
                closed = true;
                pinned.forEach(entry -> entry.pins--);
                evict();
            }
        }
    }

    public Lease lease() {
        return new Lease();
    }

    public long hits() {
        return hits.get();
    }

    public long misses() {
        return misses.get();
    }

    public synchronized long bytes() {
        return bytes;
    }

    private Entry acquire(URI remote) {
        synchronized (this) {
            Entry entry = entries.get(remote);
            if (entry != null && entry.ready) {
                hits.incrementAndGet();
                entry.pins++;
                return entry;
            }
        }
        misses.incrementAndGet();
        Path local = directory.resolve(digest(remote) + ".parquet");
        long size = fetch(remote, local);
        synchronized (this) {
            Entry entry = entries.get(remote);
            if (entry == null) {
                entry = new Entry(local, size);
                entries.put(remote, entry);
                bytes += size;
            }
            entry.ready = true;
            entry.pins++;
            evict();
            return entry;
        }
    }

    /** Copies to a temporary name and moves into place, so a reader never sees half a file. */
    private long fetch(URI remote, Path local) {
        Path temp = local.resolveSibling(local.getFileName() + "." + Thread.currentThread().getId() + ".tmp");
        try (InputStream in = storage.open(remote)) {
            long size = Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(temp, local, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return size;
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UncheckedIOException("fetching " + remote + " failed", e);
        }
    }

    private void evict() {
        Iterator<Map.Entry<URI, Entry>> it = entries.entrySet().iterator();
        while (bytes > maxBytes && it.hasNext()) {
            Entry entry = it.next().getValue();
            if (entry.pins > 0 || !entry.ready) {
                continue;
            }
            it.remove();
            bytes -= entry.size;
            try {
                Files.deleteIfExists(entry.path);
            } catch (IOException e) {
                throw new UncheckedIOException("evicting " + entry.path + " failed", e);
            }
        }
    }

    private static String digest(URI remote) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(remote.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class Entry {
        final Path path;
        final long size;
        int pins;
        boolean ready;

        Entry(Path path, long size) {
            this.path = path;
            this.size = size;
        }
    }
}
