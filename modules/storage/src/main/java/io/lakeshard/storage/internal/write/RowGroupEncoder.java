package io.lakeshard.storage.internal.write;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.TableSchema.FieldPair;
import io.lakeshard.storage.internal.stats.StatsCollector;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;

/**
 * Encodes rows into finished row groups in memory — pages compressed, dictionaries, statistics and bloom filters
 * done — which a file then takes in order. The encoding is the expensive part and needs nothing of the file, so
 * several encoders can work on one file's row groups at once; each has its own compressor (parquet-mr's are not
 * thread-safe) and collects the Delta statistics of its rows.
 */
final class RowGroupEncoder implements AutoCloseable {
    /** Below this many rows, handing columns to another thread costs about what it saves. */
    private static final int MIN_ROWS_TO_SHARE = 2_048;

    private final MessageType messageType;
    private final ParquetProperties properties;
    private final CodecFactory codecs;
    private final CodecFactory.BytesCompressor compressor;
    private final ColumnShredder shredder;
    private final StatsCollector stats;
    private final long maxRowGroupBytes;
    private final Deque<Encoded> finished = new ArrayDeque<>();
    private ColumnChunkPageWriteStore pages;
    private ColumnWriteStore columns;
    private VectorSchemaRoot source;
    private long rows;
    private Executor helper;

    RowGroupEncoder(MessageType messageType, List<FieldPair> columns, ParquetProperties properties, Configuration conf,
            long maxRowGroupBytes) {
        this.messageType = requireNonNull(messageType, "messageType is null");
        this.properties = requireNonNull(properties, "properties is null");
        this.codecs = new CodecFactory(conf, properties.getPageSizeThreshold());
        this.compressor = codecs.getCompressor(CompressionCodecName.ZSTD);
        this.shredder = new ColumnShredder(columns, messageType);
        this.stats = new StatsCollector(columns);
        this.maxRowGroupBytes = maxRowGroupBytes;
        start();
    }

    void setSource(VectorSchemaRoot root) {
        source = requireNonNull(root, "root is null");
        shredder.bind(root, this.columns);
        stats.setSource(root);
    }

    /**
     * Lets a thread of {@code executor} take some of the columns of the rows written until the row group under way
     * ends, when it is free; null for none. The file's bytes are the same either way.
     */
    void shareColumnsWith(Executor executor) {
        helper = executor;
    }

    /** Encodes rows {@code rows[from..to)} of the source, ending a row group at its row or byte limit. */
    void write(int[] order, int from, int to) {
        int next = from;
        while (next < to) {
            int end = (int) Math.min(to, next + (properties.getRowGroupRowCountLimit() - rows));
            List<Runnable> tasks = new ArrayList<>(shredder.columnWrites(order, next, end));
            tasks.addAll(stats.columnAdds(order, next, end));
            ColumnTasks.run(tasks, end - next >= MIN_ROWS_TO_SHARE ? helper : null);
            shredder.endRecords(next, end, columns);
            rows += end - next;
            next = end;
            if (rows >= properties.getRowGroupRowCountLimit() || columns.getBufferedSize() >= maxRowGroupBytes) {
                finishRowGroup();
            }
        }
    }

    /** Bytes of the row group under way, not yet finished. */
    long bufferedBytes() {
        return columns.getBufferedSize();
    }

    /** Finishes the row group under way, if it has rows. */
    void finishRowGroup() {
        if (rows == 0) {
            return;
        }
        columns.flush();
        columns.close();
        finished.add(new Encoded(rows, pages));
        start();
    }

    /** Appends the finished row groups to {@code file}, in the order they were encoded. */
    void appendTo(ParquetFileWriter file) throws IOException {
        while (!finished.isEmpty()) {
            Encoded group = finished.poll();
            try {
                file.startBlock(group.rows());
                group.pages().flushToFileWriter(file);
                file.endBlock();
            } finally {
                group.pages().close();
            }
        }
    }

    StatsCollector stats() {
        return stats;
    }

    private void start() {
        pages = new ColumnChunkPageWriteStore(compressor, messageType, properties.getAllocator(),
                properties.getColumnIndexTruncateLength(), properties.getPageWriteChecksumEnabled(), null, 0);
        columns = properties.newColumnWriteStore(messageType, pages, pages);
        rows = 0;
        if (source != null) {
            shredder.bind(source, columns);
        }
    }

    @Override
    public void close() {
        try {
            columns.close();
            pages.close();
            finished.forEach(group -> group.pages().close());
            finished.clear();
        } finally {
            codecs.release();
        }
    }

    private record Encoded(long rows, ColumnChunkPageWriteStore pages) {}
}
