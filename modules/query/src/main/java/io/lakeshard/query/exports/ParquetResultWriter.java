package io.lakeshard.query.exports;

import static java.util.Objects.requireNonNull;

import io.lakeshard.query.engine.DuckTypes;
import io.lakeshard.query.engine.SandboxedDuckDb;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.arrow.c.ArrowArrayStream;
import org.apache.arrow.c.Data;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.duckdb.DuckDBConnection;

/**
 * Writes a query's result as Parquet files into a local directory, with a DuckDB of its own that pulls the result's
 * batches through Arrow's C stream: it holds a row group at a time, not the result. That database runs no user SQL:
 * the query ran in the sandboxed engine, and this one can write only under the given directories.
 */
public final class ParquetResultWriter implements AutoCloseable {
    private static final String ROWS = "lakeshard_export_rows";

    private final DuckDBConnection database;
    private final BufferAllocator allocator;

    /** @param writable the directories results may be written under */
    public ParquetResultWriter(List<Path> writable, Path tempDirectory, String memoryLimit, BufferAllocator allocator) throws SQLException {
        this.allocator = requireNonNull(allocator, "allocator is null");
        Properties properties = new Properties();
        properties.setProperty("threads", "1");
        properties.setProperty("memory_limit", memoryLimit);
        this.database = SandboxedDuckDb.open(properties, tempDirectory, writable);
    }

    /** A file written: its path relative to the directory, and its size. */
    public record WrittenFile(String path, long bytes) {}

    /**
     * Writes every batch of {@code rows} under {@code directory} (which must not exist): ZSTD files of about
     * {@code fileBytes}, in {@code col=value/} directories when {@code partitionBy} names columns.
     */
    public List<WrittenFile> write(ArrowReader rows, Path directory, List<String> partitionBy, long fileBytes) throws SQLException {
        try (DuckDBConnection connection = (DuckDBConnection) database.duplicate(); Statement statement = connection.createStatement();
                ArrowArrayStream stream = ArrowArrayStream.allocateNew(allocator)) {
            Data.exportArrayStream(allocator, rows, stream);
            connection.registerArrowStream(ROWS, stream);
            StringBuilder options = new StringBuilder("FORMAT parquet, COMPRESSION zstd, FILE_SIZE_BYTES " + fileBytes);
            if (!partitionBy.isEmpty()) {
                options.append(", PARTITION_BY (").append(String.join(", ", partitionBy.stream().map(DuckTypes::quote).toList()))
                        .append(")");
            }
            statement.execute("COPY (SELECT * FROM " + ROWS + ") TO " + DuckTypes.string(directory.toAbsolutePath().normalize().toString()) + " ("
                    + options + ")");
        }
        List<WrittenFile> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(directory)) {
            for (Path file : walk.filter(Files::isRegularFile).sorted().toList()) {
                files.add(new WrittenFile(directory.relativize(file).toString().replace('\\', '/'), Files.size(file)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + directory + " failed", e);
        }
        return files;
    }

    @Override
    public void close() throws SQLException {
        database.close();
    }
}
