package io.lakeshard.query.imports;

import static java.util.Objects.requireNonNull;

import io.lakeshard.query.engine.DuckTypes;
import io.lakeshard.query.engine.SandboxedDuckDb;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.VectorSchemaRootAppender;
import org.duckdb.DuckDBConnection;
import org.duckdb.DuckDBResultSet;

/**
 * Reads Parquet files that an import found into a dataset's columns, with a DuckDB of its own: it reads any Parquet
 * a writer produces (Snappy, ZSTD, GZIP; dictionary and plain pages; INT96 and nested columns) and casts in SQL. The
 * database can open files under the given directories only, and nothing on the network.
 */
public final class ParquetImporter implements AutoCloseable {
    private final DuckDBConnection database;
    private final BufferAllocator allocator;

    /** @param readable the directories imported files are read from: the local import roots and the staging directory */
    public ParquetImporter(List<Path> readable, Path tempDirectory, String memoryLimit, BufferAllocator allocator) throws SQLException {
        this.allocator = requireNonNull(allocator, "allocator is null");
        Properties properties = new Properties();
        properties.setProperty("jdbc_stream_results", "true");
        properties.setProperty("threads", "1");
        properties.setProperty("memory_limit", memoryLimit);
        this.database = SandboxedDuckDb.open(properties, tempDirectory, readable);
    }

    /**
     * The number of rows the file's footer declares.
     *
     * @throws FileRejectedException when the file is not Parquet
     */
    public long rowCount(Path file) {
        try (DuckDBConnection connection = (DuckDBConnection) database.duplicate(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT sum(num_rows) FROM parquet_file_metadata(" + path(file) + ")")) {
            rows.next();
            return rows.getLong(1);
        } catch (SQLException e) {
            throw new FileRejectedException(0, "not a readable Parquet file: " + message(e));
        }
    }

    /**
     * The slices' rows in {@code schema}'s columns, as one batch the caller closes.
     *
     * @throws FileRejectedException when a slice cannot fit or its file cannot be read; the exception names the slice
     *     when the cause is known to be one file's
     */
    public VectorSchemaRoot read(List<FileSlice> slices, Schema schema) {
        if (slices.isEmpty()) {
            throw new IllegalArgumentException("no slices");
        }
        try (DuckDBConnection connection = (DuckDBConnection) database.duplicate(); Statement statement = connection.createStatement()) {
            List<String> selects = new ArrayList<>();
            for (int i = 0; i < slices.size(); i++) {
                FileSlice slice = slices.get(i);
                String select;
                try {
                    select = ColumnFit.selectList(schema, columns(statement, slice.file(), i), slice.partitionValues());
                } catch (FileRejectedException e) {
                    throw new FileRejectedException(i, e.getMessage());
                }
                selects.add("SELECT " + select + " FROM read_parquet(" + path(slice.file()) + ", file_row_number = true)"
                        + " WHERE file_row_number >= " + slice.fromRow() + " AND file_row_number < " + slice.toRow());
            }
            long rows = slices.stream().mapToLong(FileSlice::rows).sum();
            try (ResultSet results = statement.executeQuery(String.join(" UNION ALL ", selects));
                    ArrowReader reader = (ArrowReader) ((DuckDBResultSet) results).arrowExportStream(allocator, Math.max(1, rows))) {
                return collect(reader);
            } catch (SQLException | IOException e) {
                throw new FileRejectedException(slices.size() == 1 ? 0 : -1, "reading failed: " + message(e));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("the import's database failed", e);
        }
    }

    /** DuckDB may hand out more than one batch even when asked for one; the write takes one. */
    private VectorSchemaRoot collect(ArrowReader reader) throws IOException {
        VectorSchemaRoot out = null;
        try {
            while (reader.loadNextBatch()) {
                VectorSchemaRoot batch = reader.getVectorSchemaRoot();
                if (out == null) {
                    out = VectorSchemaRoot.create(batch.getSchema(), allocator);
                    out.allocateNew();
                    out.setRowCount(0);
                }
                VectorSchemaRootAppender.append(out, batch);
            }
            if (out == null) {
                out = VectorSchemaRoot.create(reader.getVectorSchemaRoot().getSchema(), allocator);
                out.allocateNew();
                out.setRowCount(0);
            }
            return out;
        } catch (IOException | RuntimeException e) {
            if (out != null) {
                out.close();
            }
            throw e;
        }
    }

    private static Map<String, String> columns(Statement statement, Path file, int slice) {
        Map<String, String> columns = new LinkedHashMap<>();
        try (ResultSet described = statement.executeQuery("DESCRIBE SELECT * FROM read_parquet(" + path(file) + ")")) {
            while (described.next()) {
                columns.put(described.getString("column_name"), described.getString("column_type"));
            }
        } catch (SQLException e) {
            throw new FileRejectedException(slice, "not a readable Parquet file: " + message(e));
        }
        return columns;
    }

    private static String path(Path file) {
        return DuckTypes.string(file.toAbsolutePath().normalize().toString());
    }

    /** DuckDB's message without the local paths it names: a user sees the file's own name in the report. */
    private static String message(Exception e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        return message.replaceAll("(/[^\\s'\"]+/)([^/\\s'\"]+)", "$2");
    }

    @Override
    public void close() throws SQLException {
        database.close();
    }
}
