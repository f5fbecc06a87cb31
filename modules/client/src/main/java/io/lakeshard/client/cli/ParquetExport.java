package io.lakeshard.client.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.apache.arrow.c.ArrowArrayStream;
import org.apache.arrow.c.Data;
import org.duckdb.DuckDBConnection;

/**
 * Parquet, written by an in-process DuckDB that pulls the batches through Arrow's C stream as it needs them: the
 * CLI carries DuckDB already to read Parquet, and Java's own Parquet writers need Hadoop (parquet-hadoop for any
 * compression) or Arrow's JNI dataset library. DuckDB holds one row group at a time, not the result.
 */
final class ParquetExport implements ExportWriter {
    private static final String ROWS = "lakeshard_export";

    @Override
    public void write(ResultBatches batches, Path file) throws IOException {
        Properties properties = new Properties();
        properties.setProperty("autoinstall_known_extensions", "false");
        properties.setProperty("autoload_known_extensions", "false");
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:", properties);
                Statement statement = connection.createStatement();
                ArrowArrayStream stream = ArrowArrayStream.allocateNew(batches.allocator())) {
            // One stream feeds it anyway; one thread keeps one row group in memory and the rows in their order.
            statement.execute("SET threads = 1");
            Data.exportArrayStream(batches.allocator(), batches, stream);
            connection.unwrap(DuckDBConnection.class).registerArrowStream(ROWS, stream);
            // The file exists already (empty), so DuckDB would write a temporary file of its own beside it and rename
            // that at the end: the pending file is that already, and the progress line watches it grow.
            statement.execute("COPY (SELECT * FROM " + ROWS + ") TO '" + file.toString().replace("'", "''")
                    + "' (FORMAT PARQUET, USE_TMP_FILE false)");
        } catch (SQLException e) {
            if (batches.failure() != null) {
                throw batches.failure();
            }
            throw new CommandException("writing Parquet failed: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }
}
