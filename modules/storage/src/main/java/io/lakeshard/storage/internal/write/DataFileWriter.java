package io.lakeshard.storage.internal.write;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.TableSchema.FieldPair;
import io.lakeshard.storage.dataset.WriterOptions;
import io.lakeshard.storage.internal.schema.SupportedTypes;
import io.lakeshard.storage.internal.stats.StatsCollector;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.schema.MessageType;

/**
 * Writes rows of Arrow batches to one Parquet file, laid out for pruning: ZSTD, row groups of at most
 * {@value #ROW_GROUP_ROWS} rows, page statistics and page index, dictionary encoding, bloom filters on the
 * configured columns and on string columns named {@code *_id} / {@code *_key}. Rows go in column by column
 * ({@link ColumnShredder}); the row groups, pages and footer are parquet-mr's, as its record writer would make them.
 */
public final class DataFileWriter implements Closeable {
    static final int ROW_GROUP_ROWS = 65_536;
    static final long ROW_GROUP_BYTES = 64L << 20;
    static final int PAGE_BYTES = 1 << 20;
    static final int STATISTICS_TRUNCATE_LENGTH = 64;

    private final ParquetFileWriter writer;
    private final ParquetProperties properties;
    private final MessageType messageType;
    private final List<FieldPair> columns;
    private final RowGroupEncoder encoder;
    private final URI file;
    private final Configuration conf;
    private VectorSchemaRoot source;
    private boolean closed;

    private DataFileWriter(ParquetFileWriter writer, ParquetProperties properties, MessageType messageType,
            List<FieldPair> columns, URI file, Configuration conf) {
        this.writer = writer;
        this.properties = properties;
        this.messageType = messageType;
        this.columns = columns;
        this.file = file;
        this.conf = conf;
        this.encoder = encoder();
    }

    /**
     * @param expectedRows a hint sizing the bloom filters; the number of distinct values is at most this
     */
    public static DataFileWriter create(Configuration hadoopConf, URI file, List<FieldPair> columns,
            WriterOptions options, long expectedRows) throws IOException {
        requireNonNull(file, "file is null");
        Configuration conf = new Configuration(hadoopConf);
        conf.setInt("parquet.compression.codec.zstd.level", options.compressionLevel());
        MessageType messageType = ParquetSchemas.messageType(columns.stream().map(FieldPair::physical).toList());
        ParquetProperties.Builder builder = ParquetProperties.builder()
                .withRowGroupRowCountLimit(ROW_GROUP_ROWS)
                .withPageSize(PAGE_BYTES)
                .withDictionaryEncoding(true)
                .withWriterVersion(ParquetProperties.WriterVersion.PARQUET_1_0)
                .withPageWriteChecksumEnabled(true)
                .withStatisticsTruncateLength(STATISTICS_TRUNCATE_LENGTH)
                .withColumnIndexTruncateLength(STATISTICS_TRUNCATE_LENGTH);
        long distinctValues = Math.max(1, Math.min(expectedRows, ROW_GROUP_ROWS));
        for (String column : bloomFilterColumns(columns, options)) {
            // parquet-mr drops the bloom filter of a chunk whose pages are all dictionary-encoded, expecting readers
            // to prune by dictionary; DuckDB does not, so a point lookup would read every row group.
            builder.withBloomFilterEnabled(column, true).withBloomFilterNDV(column, distinctValues)
                    .withDictionaryEncoding(column, false);
        }
        ParquetProperties properties = builder.build();
        ParquetFileWriter writer = new ParquetFileWriter(outputFile(file, conf), messageType, ParquetFileWriter.Mode.CREATE,
                ROW_GROUP_BYTES, ParquetWriter.MAX_PADDING_SIZE_DEFAULT, null, properties);
        writer.start();
        return new DataFileWriter(writer, properties, messageType, List.copyOf(columns), file, conf);
    }

    /**
     * Local files are created through java.nio: Hadoop's raw local filesystem, without its native library, sets
     * each new file's permissions by forking {@code chmod}, which cost ~60 ms per file (a JVM's fork) and bounded
     * the writer to ~17 small files per second. The bytes written are the same; the file is created with the
     * process's umask, as Hadoop's default permission (0666 less the umask) would have it.
     */
    static OutputFile outputFile(URI file, Configuration conf) throws IOException {
        if ("file".equals(file.getScheme())) {
            java.nio.file.Path local = java.nio.file.Path.of(file);
            Files.createDirectories(local.getParent());
            return new LocalOutputFile(local);
        }
        return HadoopOutputFile.fromPath(new Path(file), conf);
    }

    /** Physical names of the columns that get a bloom filter. */
    static Set<String> bloomFilterColumns(List<FieldPair> columns, WriterOptions options) {
        Set<String> names = new LinkedHashSet<>();
        for (FieldPair column : columns) {
            String name = column.logical().getName();
            String lower = name.toLowerCase(Locale.ROOT);
            boolean defaultKey = SupportedTypes.isString(column.logical().getType())
                    && (lower.endsWith("_id") || lower.endsWith("_key"));
            if (defaultKey || options.bloomFilterColumns().contains(name)) {
                names.add(column.physical().getName());
            }
        }
        return names;
    }

    /** The batch the next rows come from. */
    public void setSource(VectorSchemaRoot root) {
        source = requireNonNull(root, "root is null");
        encoder.setSource(root);
    }

    /** Writes rows {@code rows[from..to)} of the source batch, in that order. */
    public void write(int[] rows, int from, int to) throws IOException {
        encoder.write(rows, from, to);
        encoder.appendTo(writer);
    }

    /**
     * Writes all of {@code rows} of the source batch, in that order, as row groups of equal size encoded in parallel
     * on {@code executor} and on this thread; they go into the file in order. Rows for one row group (a group
     * commit's coalesced small writes) are shared out by column instead.
     */
    public void writeAll(int[] rows, Executor executor) throws IOException {
        encoder.finishRowGroup();
        encoder.appendTo(writer);
        int groups = (int) Math.ceil(rows.length / (double) ROW_GROUP_ROWS);
        int size = groups == 0 ? 0 : (int) Math.ceil(rows.length / (double) groups);
        List<RowGroupEncoder> encoders = new ArrayList<>();
        List<CompletableFuture<Void>> encoded = new ArrayList<>();
        try {
            for (int from = size; from < rows.length; from += size) {
                RowGroupEncoder parallel = encoder();
                encoders.add(parallel);
                int start = from;
                int end = Math.min(rows.length, from + size);
                encoded.add(CompletableFuture.runAsync(() -> {
                    parallel.setSource(source);
                    parallel.write(rows, start, end);
                    parallel.finishRowGroup();
                }, executor));
            }
            encoder.shareColumnsWith(groups == 1 ? executor : null);
            try {
                encoder.write(rows, 0, Math.min(rows.length, size));
                encoder.finishRowGroup();
            } finally {
                encoder.shareColumnsWith(null);
            }
            encoder.appendTo(writer);
            for (int i = 0; i < encoders.size(); i++) {
                join(encoded.get(i));
                encoders.get(i).appendTo(writer);
                encoder.stats().merge(encoders.get(i).stats());
            }
        } finally {
            // After a failure the others may still be encoding: their buffers are freed only once they stop.
            for (CompletableFuture<Void> encoding : encoded) {
                encoding.handle((done, failure) -> null).join();
            }
            encoders.forEach(RowGroupEncoder::close);
        }
    }

    private static void join(CompletableFuture<Void> encoding) throws IOException {
        try {
            encoding.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IOException("encoding a row group failed", e.getCause());
        }
    }

    /** Bytes written so far, buffered row group included: what rolling to the next file is decided on. */
    public long dataSize() throws IOException {
        return writer.getPos() + encoder.bufferedBytes();
    }

    public URI file() {
        return file;
    }

    private RowGroupEncoder encoder() {
        return new RowGroupEncoder(messageType, columns, properties, conf, ROW_GROUP_BYTES);
    }

    /** Closes the file and returns its size and statistics. */
    public WrittenFile finish() throws IOException {
        closed = true;
        try {
            encoder.finishRowGroup();
            encoder.appendTo(writer);
            writer.end(Map.of());
        } finally {
            encoder.close();
        }
        FileStatus status = new Path(file).getFileSystem(conf).getFileStatus(new Path(file));
        StatsCollector stats = encoder.stats();
        return new WrittenFile(file, status.getLen(), status.getModificationTime(), stats.numRecords(), stats.toJson());
    }

    /** Abandons the file: closes and deletes it. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            encoder.close();
            writer.close();
        } finally {
            new Path(file).getFileSystem(conf).delete(new Path(file), false);
        }
    }

    public record WrittenFile(URI file, long sizeBytes, long modificationTime, long numRecords, String statsJson) {}
}
