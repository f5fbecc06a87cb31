package io.lakeshard.storage.internal.log;

import io.delta.storage.CloseableIterator;
import io.delta.storage.HDFSLogStore;
import io.delta.storage.LogStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.util.Iterator;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.s3a.RemoteFileChangedException;

/**
 * Put-if-absent for Delta commits on S3. A commit is one PUT with {@code If-None-Match: *}: the store accepts the
 * first object under a name and answers 412 to every later one, whichever process or node sends it. Delta's own S3
 * store checks for the file and then writes it, which only excludes writers inside one JVM.
 *
 * <p>With {@link #CONDITIONAL_WRITES} set to false (stores without conditional writes, accepted by an operator) the
 * check-then-write remains, and only the single writer per table guards the log.
 */
public final class S3ConditionalLogStore extends LogStore {
    /** Hadoop key: false to commit without conditional writes. */
    public static final String CONDITIONAL_WRITES = "lakeshard.s3.conditional-writes";
    private static final String CONDITIONAL_CREATE = "fs.option.create.conditional.overwrite";

    private final HDFSLogStore reads;
    private final boolean conditional;

    public S3ConditionalLogStore(Configuration hadoopConf) {
        super(hadoopConf);
        this.reads = new HDFSLogStore(hadoopConf);
        this.conditional = hadoopConf.getBoolean(CONDITIONAL_WRITES, true);
    }

    @Override
    public CloseableIterator<String> read(Path path, Configuration hadoopConf) throws IOException {
        return reads.read(path, hadoopConf);
    }

    @Override
    public void write(Path path, Iterator<String> actions, Boolean overwrite, Configuration hadoopConf) throws IOException {
        FileSystem fs = path.getFileSystem(hadoopConf);
        StringBuilder content = new StringBuilder();
        actions.forEachRemaining(action -> content.append(action).append('\n'));
        byte[] bytes = content.toString().getBytes(StandardCharsets.UTF_8);
        try {
            FSDataOutputStream out = overwrite ? fs.create(path, true)
                    : conditional ? conditionalCreate(fs, path) : fs.create(path, false);
            writeWhole(out, path, bytes);
        } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
            throw alreadyExists(path, e);
        }
    }

    /**
     * Writes {@code bytes} as the whole object: it appears when the stream closes, or not at all. The loser of a
     * conditional create learns it at the close.
     */
    private static void writeWhole(FSDataOutputStream out, Path path, byte[] bytes) throws IOException {
        try {
            out.write(bytes);
        } catch (IOException | RuntimeException e) {
            // Closing would publish what was written so far, a torn log entry; aborting publishes nothing.
            out.abort();
            throw e;
        }
        try {
            out.close();
        } catch (RemoteFileChangedException e) {
            throw alreadyExists(path, e);
        }
    }

    /**
     * Whether the store under {@code directory} lets only the first of two racing creates of one name succeed.
     * Both uploads start before either completes, as in a real race; a store without conditional writes ignores
     * the header and keeps the second object.
     */
    public static boolean refusesSecondCreate(FileSystem fs, Path directory) throws IOException {
        Path probe = new Path(directory, "_lakeshard_probe/" + UUID.randomUUID());
        try {
            FSDataOutputStream first = conditionalCreate(fs, probe);
            FSDataOutputStream second = conditionalCreate(fs, probe);
            first.write(1);
            second.write(2);
            first.close();
            try {
                second.close();
                return false;
            } catch (RemoteFileChangedException expected) {
                return true;
            }
        } finally {
            fs.delete(probe, false);
        }
    }

    private static FSDataOutputStream conditionalCreate(FileSystem fs, Path path) throws IOException {
        // must() erases the builder's type parameters.
        return (FSDataOutputStream) fs.createFile(path).overwrite(false).must(CONDITIONAL_CREATE, true).build();
    }

    private static FileAlreadyExistsException alreadyExists(Path path, IOException cause) {
        FileAlreadyExistsException e = new FileAlreadyExistsException(path.toString());
        e.initCause(cause);
        return e;
    }

    @Override
    public Iterator<FileStatus> listFrom(Path path, Configuration hadoopConf) throws IOException {
        return reads.listFrom(path, hadoopConf);
    }

    @Override
    public Path resolvePathOnPhysicalStorage(Path path, Configuration hadoopConf) throws IOException {
        return reads.resolvePathOnPhysicalStorage(path, hadoopConf);
    }

    /** False: an S3 object becomes visible only when its upload completes, so checkpoints may be written in place. */
    @Override
    public Boolean isPartialWriteVisible(Path path, Configuration hadoopConf) {
        return false;
    }
}
