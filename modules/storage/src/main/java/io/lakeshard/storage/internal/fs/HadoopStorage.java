package io.lakeshard.storage.internal.fs;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.StorageUnavailableException;
import io.lakeshard.storage.dataset.DatasetId;
import io.lakeshard.storage.fs.S3Settings;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.fs.StoredFile;
import io.lakeshard.storage.internal.log.LocalAtomicLogStore;
import io.lakeshard.storage.internal.log.S3ConditionalLogStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.EtagSource;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * The {@link StorageRoot} over Hadoop's filesystems, and the only holder of the Hadoop configuration: the storage
 * internals that hand it to Kernel or Parquet get it with {@link #of(StorageRoot)}.
 */
public final class HadoopStorage implements StorageRoot {
    private final URI root;
    private final Configuration conf;
    private final Clock clock;

    private HadoopStorage(URI root, Configuration conf, Clock clock) {
        this.root = requireNonNull(root, "root is null");
        this.conf = requireNonNull(conf, "conf is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    public static HadoopStorage create(URI uri, Map<String, String> settings, Clock clock) {
        String scheme = uri.getScheme();
        Configuration conf = new Configuration(false);
        if ("file".equals(scheme)) {
            // The raw local filesystem writes no .crc sidecar per file: half the files, and a cheaper log listing.
            conf.set("fs.file.impl", "org.apache.hadoop.fs.RawLocalFileSystem");
            conf.setBoolean("fs.file.impl.disable.cache", true);
        } else if ("s3a".equals(scheme)) {
            if (uri.getHost() == null || uri.getHost().isEmpty()) {
                throw new IllegalArgumentException("storage root " + uri + " names no bucket; expected s3a://bucket/prefix");
            }
            S3Settings.defaults().forEach(conf::set);
        } else {
            throw new IllegalArgumentException("unsupported storage scheme '" + scheme + "' in " + uri
                    + "; expected file:// or s3a://");
        }
        settings.forEach(conf::set);
        // Hadoop closes the filesystems it caches from a JVM shutdown hook of its own, which on SIGTERM runs beside
        // Akka's coordinated shutdown while that still finishes requests: a write then failed on a closed S3A
        // filesystem (a NullPointerException, answered INTERNAL). The process ends with the JVM anyway.
        conf.setBoolean("fs.automatic.close", false);
        // Which put-if-absent implementation commits to the log, per scheme; not a setting a deployment may change.
        conf.set("io.delta.kernel.logStore.file.impl", LocalAtomicLogStore.class.getName());
        conf.set("io.delta.kernel.logStore.s3a.impl", S3ConditionalLogStore.class.getName());
        String normalized = uri.toString().endsWith("/") ? uri.toString() : uri + "/";
        return new HadoopStorage(URI.create(normalized), conf, clock);
    }

    /** The implementation behind a root; every root is one, since storage alone creates them. */
    public static HadoopStorage of(StorageRoot storage) {
        return (HadoopStorage) requireNonNull(storage, "storage is null");
    }

    @Override
    public URI uri() {
        return root;
    }

    @Override
    public boolean isLocal() {
        return "file".equals(root.getScheme());
    }

    @Override
    public URI tableUri(DatasetId id) {
        return root.resolve(id.relativePath() + "/");
    }

    @Override
    public Clock clock() {
        return clock;
    }

    /** A copy: callers may add their own keys. */
    public Configuration conf() {
        return new Configuration(conf);
    }

    public FileSystem fileSystem(URI uri) {
        try {
            return FileSystem.get(uri, conf);
        } catch (IOException e) {
            throw new StorageUnavailableException("cannot open filesystem for " + uri, e);
        }
    }

    @Override
    public InputStream open(URI file) {
        // The shared filesystem instance: S3A's connection pool and threads are per instance.
        try {
            return fileSystem(file).open(new Path(file));
        } catch (IOException e) {
            throw new StorageUnavailableException("opening " + file + " failed", e);
        }
    }

    @Override
    public OutputStream create(URI file) {
        try {
            return fileSystem(file).create(new Path(file), false);
        } catch (IOException e) {
            throw new StorageUnavailableException("creating " + file + " failed", e);
        }
    }

    @Override
    public boolean deleteRecursively(URI directory) {
        try {
            return fileSystem(directory).delete(new Path(directory), true);
        } catch (IOException e) {
            throw new StorageUnavailableException("deleting " + directory + " failed", e);
        }
    }

    @Override
    public List<StoredFile> listFiles(URI directory) {
        try {
            List<StoredFile> files = new ArrayList<>();
            for (FileStatus status : listStatuses(directory)) {
                String version = status instanceof EtagSource etag && etag.getEtag() != null ? etag.getEtag() : "";
                files.add(new StoredFile(status.getPath().toUri(), status.getLen(), status.getModificationTime(), version));
            }
            return files;
        } catch (IOException e) {
            throw new StorageUnavailableException("listing " + directory + " failed", e);
        }
    }

    /** Every file below {@code directory}, recursively; empty if it does not exist. */
    public List<FileStatus> listStatuses(URI directory) throws IOException {
        if (isLocal()) {
            return listLocalFiles(java.nio.file.Path.of(directory));
        }
        FileSystem fs = fileSystem(directory);
        Path path = new Path(directory);
        List<FileStatus> files = new ArrayList<>();
        if (!fs.exists(path)) {
            return files;
        }
        // One paged LIST for the whole tree on S3, not one per directory.
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(path, true);
        while (it.hasNext()) {
            files.add(it.next());
        }
        return files;
    }

    /**
     * Hadoop's local file system reads a file's permissions by starting a shell as soon as a {@link LocatedFileStatus}
     * is made of it: listing a log of 1,600 entries took 12 s and stalled the table's writer. Callers want names,
     * sizes and times, which the JDK reads in one directory walk.
     */
    private static List<FileStatus> listLocalFiles(java.nio.file.Path directory) throws IOException {
        List<FileStatus> files = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return files;
        }
        Files.walkFileTree(directory, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(java.nio.file.Path file, BasicFileAttributes attributes) {
                if (attributes.isRegularFile()) {
                    files.add(new FileStatus(attributes.size(), false, 1, 0, attributes.lastModifiedTime().toMillis(),
                            new Path(file.toUri())));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(java.nio.file.Path file, IOException failure) throws IOException {
                if (failure instanceof NoSuchFileException) {
                    // Gone since the directory was read: a commit's temporary file, renamed into place meanwhile.
                    return FileVisitResult.CONTINUE;
                }
                throw failure;
            }
        });
        return files;
    }

    public boolean delete(URI file) throws IOException {
        return fileSystem(file).delete(new Path(file), false);
    }

    @Override
    public String toString() {
        return root.toString();
    }
}
