package io.lakeshard.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A throwaway PostgreSQL server on a free loopback port, from the Debian package's binaries: started for a test,
 * stopped and deleted after it. When no server binaries are installed the test is skipped, saying so; .ci/run
 * installs them.
 */
public final class PostgresServer implements AutoCloseable {
    public static final String USER = "lakeshard";
    public static final String DATABASE = "lakeshard";

    private final Path bin;
    private final Path home;
    private final Path data;
    private final int port;
    private final boolean asPostgresUser;

    private PostgresServer(Path bin, Path home, int port, boolean asPostgresUser) {
        this.bin = bin;
        this.home = home;
        this.data = home.resolve("data");
        this.port = port;
        this.asPostgresUser = asPostgresUser;
    }

    public static PostgresServer start() throws Exception {
        Optional<Path> bin = binaries();
        Assumptions.assumeTrue(bin.isPresent(),
                "SKIPPED: no PostgreSQL server binaries under /usr/lib/postgresql; install the Debian package 'postgresql' (.ci/run does)");
        boolean root = "root".equals(System.getProperty("user.name"));
        Path home = Files.createTempDirectory("lakeshard-pg");
        if (root) {
            // initdb refuses to run as root: the server runs as the package's postgres user, in a directory it owns.
            UserPrincipal postgres = home.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
            Files.setOwner(home, postgres);
        }
        PostgresServer server = new PostgresServer(bin.get(), home, TestCluster.freeLoopbackPort(), root);
        server.run(bin.get().resolve("initdb").toString(), "-D", server.data.toString(), "-U", USER, "--auth=trust", "-E", "UTF8");
        server.startAgain();
        try (Connection connection = DriverManager.getConnection(server.url("postgres"), USER, "");
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + DATABASE);
        }
        return server;
    }

    /** Stops the server as a crash would (connections cut, nothing flushed politely), keeping its data. */
    public void stop() throws IOException, InterruptedException {
        run(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop");
    }

    /** Starts the server on its data directory and port: after {@link #stop}, it holds what it held then. */
    public void startAgain() throws IOException, InterruptedException {
        run(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", home.resolve("server.log").toString(),
                "-o", "-p " + port + " -k " + home + " -c listen_addresses=127.0.0.1", "-w", "start");
    }

    /** The node configuration that makes this server a node's journal, as HOCON text. */
    public String journalConfig() {
        return """
                lakeshard.journal.kind = postgres
                lakeshard.journal.url = "%s"
                lakeshard.journal.user = "%s"
                lakeshard.journal.password = ""
                """.formatted(url(), USER);
    }

    public String url() {
        return url(DATABASE);
    }

    private String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public long count(String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url(), USER, "");
                Statement statement = connection.createStatement();
                var rs = statement.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (Files.exists(data.resolve("postmaster.pid"))) {
                stop();
            }
        } finally {
            try (Stream<Path> files = Files.walk(home)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    private void run(String... command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (asPostgresUser) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(List.of(command));
        Process process = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(home.resolve("commands.log").toFile()).start();
        if (!process.waitFor(2, TimeUnit.MINUTES) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " failed: " + Files.readString(home.resolve("commands.log")));
        }
    }

    private static Optional<Path> binaries() throws IOException {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("postgres")))
                    .max(Comparator.comparing(b -> Integer.parseInt(b.getParent().getFileName().toString().replaceAll("\\D", "0"))));
        }
    }
}
