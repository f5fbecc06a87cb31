package io.lakeshard.query.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.duckdb.DuckDBConnection;

/**
 * An in-process DuckDB that can reach files under the given directories only, nothing on the network, loads no
 * extension, and cannot change that: the query engine's, the import's and the export's all start here. Times are UTC.
 */
public final class SandboxedDuckDb {
    private SandboxedDuckDb() {}

    /**
     * @param settings DuckDB settings to start with (threads, memory_limit, ...)
     * @param directories where it may read (and with COPY, write) files
     */
    public static DuckDBConnection open(Properties settings, Path tempDirectory, List<Path> directories) throws SQLException {
        try {
            Files.createDirectories(tempDirectory);
        } catch (IOException e) {
            throw new SQLException("cannot create " + tempDirectory, e);
        }
        Properties properties = new Properties();
        properties.putAll(settings);
        properties.setProperty("temp_directory", tempDirectory.toString());
        properties.setProperty("autoinstall_known_extensions", "false");
        properties.setProperty("autoload_known_extensions", "false");
        DuckDBConnection database = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:", properties);
        try (Statement statement = database.createStatement()) {
            statement.execute("SET TimeZone = 'UTC'");
            // A query reads the same files' footers again and again (a sampler's tick every half second reads the window's);
            // Delta data files never change once written, and DuckDB checks a cached footer against the file's
            // modification time besides.
            statement.execute("SET parquet_metadata_cache = true");
            List<String> allowed = new ArrayList<>();
            for (Path directory : directories) {
                allowed.add(DuckTypes.string(directory.toAbsolutePath().normalize() + "/"));
            }
            statement.execute("SET allowed_directories = [" + String.join(", ", allowed) + "]");
            statement.execute("SET enable_external_access = false");
            statement.execute("SET lock_configuration = true");
        } catch (SQLException | RuntimeException e) {
            database.close();
            throw e;
        }
        return database;
    }
}
