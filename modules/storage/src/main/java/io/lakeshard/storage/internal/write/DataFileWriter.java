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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.OutputFile;

/**
 * Writes rows of Arrow batches to one Parquet file, laid out for pruning: ZSTD, row groups of at most
 * {@value #ROW_GROUP_ROWS} rows, page statistics and page index, dictionary encoding, bloom filters on the
 * configured columns and on string columns named {@code *_id} / {@code *_key}.
 */
public final class DataFileWriter implements Closeable {
    static final int ROW_GROUP_ROWS = 65_536;
    static final long ROW_GROUP_BYTES = 64L << 20;
    static final int PAGE_BYTES = 1 << 20;
    static final int STATISTICS_TRUNCATE_LENGTH = 64;

    private final ParquetWriter<Integer> writer;
    private final ArrowWriteSupport writeSupport;
    private final StatsCollector stats;
    private final URI file;
    private final Configuration conf;

    private DataFileWriter(ParquetWriter<Integer> writer, ArrowWriteSupport writeSupport, StatsCollector stats,
            URI file, Configuration conf) {
        this.writer = writer;
        this.writeSupport = writeSupport;
        this.stats = stats;
        this.file = file;
        this.conf = conf;
    }

    /**
     * @param expectedRows a hint sizing the bloom filters; the number of distinct values is at most this
     */
    public static DataFileWriter create(Configuration hadoopConf, URI file, List<FieldPair> columns,
            WriterOptions options, long expectedRows) throws IOException {
        requireNonNull(file, "file is null");
        Configuration conf = new Configuration(hadoopConf);
        conf.setInt("parquet.compression.codec.zstd.level", options.compressionLevel());
        ArrowWriteSupport writeSupport = new ArrowWriteSupport(columns);
        OutputFile output = outputFile(file, conf);
        Builder builder = new Builder(output, writeSupport)
                .withConf(conf)
                .withWriteMode(ParquetFileWriter.Mode.CREATE)
                .withCompressionCodec(CompressionCodecName.ZSTD)
                .withRowGroupSize(ROW_GROUP_BYTES)
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
        return new DataFileWriter(builder.build(), writeSupport, new StatsCollector(columns), file, conf);
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
        writeSupport.setSource(root);
        stats.setSource(root);
    }

    public void write(int row) throws IOException {
        writer.write(row);
        stats.add(row);
    }

    /** Bytes written so far, buffered row group included: what rolling to the next file is decided on. */
    public long dataSize() {
        return writer.getDataSize();
    }

    public URI file() {
        return file;
    }

    /** Closes the file and returns its size and statistics. */
    public WrittenFile finish() throws IOException {
        writer.close();
        FileStatus status = new Path(file).getFileSystem(conf).getFileStatus(new Path(file));
        return new WrittenFile(file, status.getLen(), status.getModificationTime(), stats.numRecords(), stats.toJson());
    }

    /** Abandons the file: closes and deletes it. */
    @Override
    public void close() throws IOException {
        try {
            writer.close();
        } finally {
            new Path(file).getFileSystem(conf).delete(new Path(file), false);
        }
    }

    public record WrittenFile(URI file, long sizeBytes, long modificationTime, long numRecords, String statsJson) {}

    private static final class Builder extends ParquetWriter.Builder<Integer, Builder> {
        private final WriteSupport<Integer> writeSupport;

        Builder(OutputFile file, WriteSupport<Integer> writeSupport) {
            super(file);
            this.writeSupport = writeSupport;
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        protected WriteSupport<Integer> getWriteSupport(Configuration conf) {
            return writeSupport;
        }
    }
}
