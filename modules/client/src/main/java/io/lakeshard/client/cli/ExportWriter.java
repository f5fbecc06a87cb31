package io.lakeshard.client.cli;

import java.io.IOException;
import java.nio.file.Path;

/** One file format of {@code lakeshard export}: writes each batch as it arrives and keeps none. */
interface ExportWriter {
    /** Writes every batch of {@code batches}, the one already loaded first, to {@code file}, which exists and is empty. */
    void write(ResultBatches batches, Path file) throws IOException;
}
