package io.lakeshard.client.cli;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A file written under a temporary name beside its target and renamed onto it only when complete, so that a failed,
 * cancelled or interrupted write leaves no half file. Same directory, so the rename is one file system's rename.
 */
final class PendingFile implements AutoCloseable {
    private final Path target;
    private final Path temp;
    private final boolean overwrite;
    private final Thread cleanup;
    private boolean committed;

    private PendingFile(Path target, Path temp, boolean overwrite) {
        this.target = target;
        this.temp = temp;
        this.overwrite = overwrite;
        // Ctrl-C runs shutdown hooks but no finally blocks.
        this.cleanup = new Thread(() -> deleteQuietly(temp), "export-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
    }

    /** @throws IllegalArgumentException when the target exists and may not be replaced, or is not a file */
    static PendingFile beside(Path target, boolean overwrite) throws IOException {
        Path absolute = target.toAbsolutePath();
        if (Files.isDirectory(absolute)) {
            throw new IllegalArgumentException(target + " is a directory");
        }
        refuseExisting(absolute, overwrite);
        Path directory = absolute.getParent();
        if (!Files.isDirectory(directory)) {
            throw new IllegalArgumentException("no directory " + directory);
        }
        // Created with the user's default permissions, unlike Files.createTempFile's owner-only ones, which the
        // rename would hand on to the export.
        Path temp = Files.createFile(directory.resolve("." + absolute.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".part"));
        return new PendingFile(absolute, temp, overwrite);
    }

    static void refuseExisting(Path target, boolean overwrite) {
        if (!overwrite && Files.exists(target)) {
            throw new IllegalArgumentException(target + " exists; --overwrite replaces it");
        }
    }

    /** Where to write. */
    Path path() {
        return temp;
    }

    /** Renames the written file onto the target. */
    void commit() throws IOException {
        try {
            if (overwrite) {
                // Atomic: a reader sees the old file or the new one, never none.
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                // Without options the move fails if the target appeared meanwhile, rather than replacing it.
                Files.move(temp, target);
            }
        } catch (FileAlreadyExistsException e) {
            throw new IllegalArgumentException(target + " appeared during the export; --overwrite replaces it", e);
        }
        committed = true;
    }

    @Override
    public void close() throws IOException {
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
            // Shutting down already: the hook deletes the file.
        }
        if (!committed) {
            Files.deleteIfExists(temp);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // Exiting: nothing more to do; the leftover is at least named as temporary.
        }
    }
}
