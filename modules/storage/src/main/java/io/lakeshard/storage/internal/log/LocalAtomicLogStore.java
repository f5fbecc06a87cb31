package io.lakeshard.storage.internal.log;

import io.delta.storage.CloseableIterator;
import io.delta.storage.HDFSLogStore;
import io.delta.storage.LogStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
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

    @Override
    public Iterator<FileStatus> listFrom(org.apache.hadoop.fs.Path path, Configuration hadoopConf) throws IOException {
        return reads.listFrom(path, hadoopConf);
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
