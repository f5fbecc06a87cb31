package io.lakeshard.cluster.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/**
 * The event journal's database: embedded H2 by default, PostgreSQL for a cluster. Creates its tables from the scripts
 * in this module ({@code db/h2.sql}, {@code db/postgres.sql}) at start; they are idempotent.
 */
public record JournalDatabase(String kind, String url, String user, String password) {
    /** The advisory lock that serializes schema creation: any number, the same on every node. */
    private static final long SCHEMA_LOCK = 0x6C616B65L;


    public static JournalDatabase from(Config config) {
        String kind = config.getString("lakeshard.journal.kind");
        String url = config.getString("lakeshard.journal.url");
        if (url.isEmpty()) {
            if (!kind.equals("h2")) {
                throw new IllegalArgumentException("lakeshard.journal.url is required for a " + kind + " journal");
            }
            Path file = Path.of(config.getString("lakeshard.journal.h2-path")).toAbsolutePath();
            // Not closed by H2 at JVM exit: the connection pool closes it after Akka has stopped.
            url = "jdbc:h2:file:" + file + ";DATABASE_TO_UPPER=false;DB_CLOSE_ON_EXIT=FALSE";
        }
        if (!kind.equals("h2") && !kind.equals("postgres")) {
            throw new IllegalArgumentException("lakeshard.journal.kind must be h2 or postgres, not " + kind);
        }
        return new JournalDatabase(kind, url, config.getString("lakeshard.journal.user"), config.getString("lakeshard.journal.password"));
    }

    /** The akka-persistence-jdbc settings for this database. */
    public Config pluginConfig() {
        boolean h2 = kind.equals("h2");
        return ConfigFactory.parseMap(Map.of(
                "akka-persistence-jdbc.shared-databases.default.profile", h2 ? "slick.jdbc.H2Profile$" : "slick.jdbc.PostgresProfile$",
                "akka-persistence-jdbc.shared-databases.default.db.url", url,
                "akka-persistence-jdbc.shared-databases.default.db.user", user,
                "akka-persistence-jdbc.shared-databases.default.db.password", password,
                "akka-persistence-jdbc.shared-databases.default.db.driver", h2 ? "org.h2.Driver" : "org.postgresql.Driver",
                "akka-persistence-jdbc.shared-databases.default.db.numThreads", 4,
                "akka-persistence-jdbc.shared-databases.default.db.maxConnections", 4,
                "akka-persistence-jdbc.shared-databases.default.db.minConnections", 1));
    }

    public void createSchema() {
        String script;
        try (InputStream in = JournalDatabase.class.getResourceAsStream("/db/" + kind + ".sql")) {
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (Connection connection = DriverManager.getConnection(url, user, password); Statement statement = connection.createStatement()) {
            boolean postgres = !kind.equals("h2");
            if (postgres) {
                // Nodes start together, and PostgreSQL's IF NOT EXISTS is no guard against a concurrent CREATE (the
                // second fails on the catalog's unique index): one node at a time, the lock held to the commit.
                connection.setAutoCommit(false);
                statement.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK + ")");
            }
            for (String sql : script.replaceAll("(?m)^--.*$", "").split(";")) {
                if (!sql.isBlank()) {
                    statement.execute(sql);
                }
            }
            if (postgres) {
                connection.commit();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("creating the journal schema in " + url + " failed: " + e.getMessage(), e);
        }
    }
}
