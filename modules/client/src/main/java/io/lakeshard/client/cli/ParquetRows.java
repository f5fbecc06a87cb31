package io.lakeshard.client.cli;

import io.lakeshard.arrow.DuckDbTypes;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.duckdb.DuckDBResultSet;

/**
 * A Parquet file's rows as Arrow batches in a dataset's columns, read by an in-process DuckDB: each column is cast to
 * the dataset's type, so a file written by any tool lines up with the dataset.
 */
final class ParquetRows implements AutoCloseable {
    private final Connection connection;
    private final Statement statement;
    private final ResultSet results;
    private final ArrowReader reader;
    private final long totalRows;

    ParquetRows(Path file, Schema schema, BufferAllocator allocator, int batchRows) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("autoinstall_known_extensions", "false");
        properties.setProperty("autoload_known_extensions", "false");
        properties.setProperty("jdbc_stream_results", "true");
        this.connection = DriverManager.getConnection("jdbc:duckdb:", properties);
        this.statement = connection.createStatement();
        statement.execute("SET TimeZone = 'UTC'");
        String path = literal(file.toAbsolutePath().toString());
        try (ResultSet count = statement.executeQuery("SELECT count(*) FROM read_parquet(" + path + ")")) {
            count.next();
            this.totalRows = count.getLong(1);
        }
        List<String> columns = new ArrayList<>();
        for (Field field : schema.getFields()) {
            columns.add("CAST(" + identifier(field.getName()) + " AS " + sqlType(field) + ") AS " + identifier(field.getName()));
        }
        this.results = statement.executeQuery("SELECT " + String.join(", ", columns) + " FROM read_parquet(" + path + ")");
        this.reader = (ArrowReader) ((DuckDBResultSet) results).arrowExportStream(allocator, batchRows);
    }

    long totalRows() {
        return totalRows;
    }

    ArrowReader reader() {
        return reader;
    }

    @Override
    public void close() throws Exception {
        reader.close();
        results.close();
        statement.close();
        connection.close();
    }

    /** The dataset's type in DuckDB; the CLI's text and Parquet paths take scalar columns only. */
    private static String sqlType(Field field) {
        if (!field.getChildren().isEmpty()) {
            throw new IllegalArgumentException("column '" + field.getName() + "' is " + field.getType()
                    + ": the CLI writes scalar columns only; use the Java SDK for nested data");
        }
        return DuckDbTypes.sqlType(field);
    }

    private static String identifier(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    private static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }
}
