package io.lakeshard.storage.fs;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.DatasetId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * The one seam between Lakeshard and a filesystem: where tables live and the Hadoop configuration every reader and
 * writer of them uses. {@code file://} for one machine, {@code s3a://bucket/prefix} for a cluster (see
 * {@link S3Settings}).
 */
public final class StorageRoot {
    private final URI root;
    private final Configuration hadoopConf;

    private StorageRoot(URI root, Configuration hadoopConf) {
        this.root = requireNonNull(root, "root is null");
        this.hadoopConf = requireNonNull(hadoopConf, "hadoopConf is null");
    }

    /** A root on the local filesystem. */
    public static StorageRoot local(Path directory) {
        return of(directory.toAbsolutePath().normalize().toUri(), Map.of());
    }

    /** A root at {@code uri}; {@code settings} are Hadoop keys that override the defaults for its scheme. */
    public static StorageRoot of(URI uri, Map<String, String> settings) {
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
        String normalized = uri.toString().endsWith("/") ? uri.toString() : uri + "/";
        return new StorageRoot(URI.create(normalized), conf);
    }

    public URI uri() {
        return root;
    }

    /** True when DuckDB can read the data files where they are; false when they must be copied to a local cache. */
    public boolean isLocal() {
        return "file".equals(root.getScheme());
    }

    /** A copy: callers may add their own keys. */
    public Configuration hadoopConf() {
        return new Configuration(hadoopConf);
    }

    public URI tableUri(DatasetId id) {
        return root.resolve(id.relativePath() + "/");
    }

    public FileSystem fileSystem(URI uri) {
        try {
            return FileSystem.get(uri, hadoopConf);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open filesystem for " + uri, e);
        }
    }

    /** Every file below {@code directory}, recursively; empty if it does not exist. */
    public List<FileStatus> listFiles(URI directory) throws IOException {
        FileSystem fs = fileSystem(directory);
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(directory);
        List<FileStatus> files = new ArrayList<>();
        if (!fs.exists(path)) {
            return files;
        }
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(path, true);
        while (it.hasNext()) {
            files.add(it.next());
        }
        return files;
    }

    public boolean delete(URI file) throws IOException {
        return fileSystem(file).delete(new org.apache.hadoop.fs.Path(file), false);
    }
}
