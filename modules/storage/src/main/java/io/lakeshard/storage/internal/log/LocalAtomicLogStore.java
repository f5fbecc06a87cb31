package io.lakeshard.storage.internal.log;

import io.delta.storage.CloseableIterator;
import io.delta.storage.HDFSLogStore;
import io.delta.storage.LogStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;

/**
 * Put-if-absent for Delta commits on a local filesystem. The stock store checks for the file and then renames onto
 * it, so two writers can both "win" a version (one commit silently replaced) or leave a torn file. Here the commit is
 * written whole to a temporary file, forced to disk, and hard-linked into place: the link fails atomically if the
 * version exists, across threads and processes alike.
 */
public final class LocalAtomicLogStore extends LogStore {
    private static final String CHECKSUM_SUFFIX = ".crc";

    private final HDFSLogStore reads;

    public LocalAtomicLogStore(Configuration hadoopConf) {
        super(hadoopConf);
        this.reads = new HDFSLogStore(hadoopConf);
    }

    @Override
    public CloseableIterator<String> read(org.apache.hadoop.fs.Path path, Configuration hadoopConf) throws IOException {
        return reads.read(path, hadoopConf);
    }

    @Override
    public void write(org.apache.hadoop.fs.Path path, Iterator<String> actions, Boolean overwrite, Configuration hadoopConf)
            throws IOException {
        Path target = Path.of(path.toUri());
        Files.createDirectories(target.getParent());
        Path temp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            try (var out = Files.newBufferedWriter(temp, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, StandardOpenOption.SYNC)) {
                while (actions.hasNext()) {
                    out.write(actions.next());
                    out.write('\n');
                }
            }
            if (overwrite) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
            } else {
                try {
                    Files.createLink(target, temp);
                } catch (FileAlreadyExistsException e) {
                    throw new FileAlreadyExistsException(path.toString());
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * The log's entries from {@code path}'s name on, sorted by name, as the stock store lists them (directories
     * included), but read with java.nio: Kernel lists the log on every commit and snapshot refresh, and Hadoop's local
     * listing builds a qualified {@code Path} and a status for every entry of the directory, most of which sort before
     * the start and are dropped. With thousands of commits in the log that listing was a third of the writer's time.
     */
    @Override
    public Iterator<FileStatus> listFrom(org.apache.hadoop.fs.Path path, Configuration hadoopConf) throws IOException {
        Path start = localPath(path);
        Path dir = start.getParent();
        if (!Files.isDirectory(dir)) {
            throw new FileNotFoundException("no such directory: " + path.getParent());
        }
        String from = start.getFileName().toString();
        // Every refresh lists the whole directory (readdir has no "from"), and a long-lived table's log holds tens of
        // thousands of entries: names straight from readdir, not a Path parsed for each (that was most of a refresh).
        String[] all = dir.toFile().list();
        if (all == null) {
            throw new IOException("cannot list " + dir);
        }
        List<String> names = new ArrayList<>();
        for (String name : all) {
            if (name.compareTo(from) >= 0) {
                names.add(name);
            }
        }
        // A directory read is not atomic: an entry created during it may be missed while a later one is seen. A
        // commit's checksum is written after its commit, so a checksum listed without its commit means the commit
        // was missed; Kernel refuses such a listing ("checksum version should be <= LogSegment version").
        Set<String> listed = new HashSet<>(names);
        for (String name : List.copyOf(names)) {
            if (name.endsWith(CHECKSUM_SUFFIX)) {
                String commit = name.substring(0, name.length() - CHECKSUM_SUFFIX.length()) + ".json";
                if (!listed.contains(commit) && Files.exists(dir.resolve(commit))) {
                    names.add(commit);
                }
            }
        }
        Collections.sort(names);
        org.apache.hadoop.fs.Path parent = path.getParent();
        List<FileStatus> statuses = new ArrayList<>(names.size());
        for (String name : names) {
            BasicFileAttributes attributes;
            try {
                attributes = Files.readAttributes(dir.resolve(name), BasicFileAttributes.class);
            } catch (NoSuchFileException e) {
                continue; // removed since the listing (log cleanup): as if listed a moment later
            }
            statuses.add(new FileStatus(attributes.isDirectory() ? 0 : attributes.size(), attributes.isDirectory(), 1, 0,
                    attributes.lastModifiedTime().toMillis(), new org.apache.hadoop.fs.Path(parent, name)));
        }
        return statuses.iterator();
    }

    private static Path localPath(org.apache.hadoop.fs.Path path) {
        URI uri = path.toUri();
        return uri.getScheme() == null ? Path.of(uri.getPath()) : Path.of(uri);
    }

    @Override
    public org.apache.hadoop.fs.Path resolvePathOnPhysicalStorage(org.apache.hadoop.fs.Path path, Configuration hadoopConf)
            throws IOException {
        return reads.resolvePathOnPhysicalStorage(path, hadoopConf);
    }

    /**
     * True: on a local filesystem a file being written is visible under its name. Kernel asks this to decide whether
     * checkpoints go through a temporary file and a rename; answering false made readers see half-written ones.
     */
    @Override
    public Boolean isPartialWriteVisible(org.apache.hadoop.fs.Path path, Configuration hadoopConf) {
        return true;
    }
}
