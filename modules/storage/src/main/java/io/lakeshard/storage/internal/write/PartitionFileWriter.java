package io.lakeshard.storage.internal.write;

import io.lakeshard.storage.dataset.TableSchema;
import io.lakeshard.storage.dataset.WriterOptions;
import io.lakeshard.storage.write.NewDataFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.hadoop.conf.Configuration;

/**
 * Writes rows of one partition, in a given order, to as many files as the target size needs. On failure it deletes
 * every file it wrote.
 */
public final class PartitionFileWriter {
    /**
     * Rows written between two looks at the file's size: a file ends at most this many rows past its target (a few
     * hundred KiB), and the size, summed over every column's buffers, is not asked per row.
     */
    private static final int SLICE_ROWS = 4_096;
    /**
     * Threads that encode a large write's other row groups while the writing thread encodes the first: the cores
     * but one. Their own, not the common pool, which code elsewhere may block in.
     */
    private static final ExecutorService ENCODERS = Executors.newFixedThreadPool(
            Math.max(1, Runtime.getRuntime().availableProcessors() - 1), runnable -> {
                Thread thread = new Thread(runnable, "parquet-encoder");
                thread.setDaemon(true);
                return thread;
            });

    private PartitionFileWriter() {}

    public static List<NewDataFile> write(Configuration conf, URI tableRoot, TableSchema schema, WriterOptions options,
            Map<String, String> partitionValues, VectorSchemaRoot rows, int[] order, long targetFileSize) {
        String directory = PartitionPaths.directory(
                schema.partitionColumns().stream().map(schema::physicalName).toList(), partitionValues);
        List<NewDataFile> files = new ArrayList<>();
        DataFileWriter writer = null;
        try {
            if (targetFileSize == Long.MAX_VALUE && order.length > 0) {
                // One file whatever its size: its row groups can be encoded side by side.
                writer = newFile(conf, tableRoot, schema, options, directory, rows, order.length);
                writer.writeAll(order, ENCODERS);
                files.add(finish(writer, tableRoot, partitionValues));
                return files;
            }
            for (int from = 0; from < order.length; from += SLICE_ROWS) {
                if (writer == null) {
                    writer = newFile(conf, tableRoot, schema, options, directory, rows, order.length);
                }
                writer.write(order, from, Math.min(order.length, from + SLICE_ROWS));
                if (writer.dataSize() >= targetFileSize) {
                    files.add(finish(writer, tableRoot, partitionValues));
                    writer = null;
                }
            }
            if (writer != null) {
                files.add(finish(writer, tableRoot, partitionValues));
            }
            return files;
        } catch (IOException | RuntimeException e) {
            DataFiles.deleteQuietly(conf, tableRoot, files);
            if (writer != null) {
                try {
                    writer.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            if (e instanceof IOException io) {
                throw new UncheckedIOException("writing to " + tableRoot + " failed", io);
            }
            throw (RuntimeException) e;
        }
    }

    private static DataFileWriter newFile(Configuration conf, URI tableRoot, TableSchema schema, WriterOptions options, String directory,
            VectorSchemaRoot rows, int expectedRows) throws IOException {
        URI file = DataFiles.resolve(tableRoot, directory + "part-" + UUID.randomUUID() + ".zstd.parquet");
        DataFileWriter writer = DataFileWriter.create(conf, file, schema.dataColumns(), options, expectedRows);
        writer.setSource(rows);
        return writer;
    }

    private static NewDataFile finish(DataFileWriter writer, URI tableRoot, Map<String, String> partitionValues) throws IOException {
        DataFileWriter.WrittenFile written = writer.finish();
        String relative = tableRoot.relativize(written.file()).getPath();
        return new NewDataFile(relative, written.sizeBytes(), written.modificationTime(), partitionValues,
                written.numRecords(), written.statsJson());
    }
}
