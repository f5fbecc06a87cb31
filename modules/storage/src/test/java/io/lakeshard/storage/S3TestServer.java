package io.lakeshard.storage;

import io.lakeshard.storage.fs.S3Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real S3 server on loopback for tests: s3proxy with its filesystem backend, run from its own jar as a child
 * process (the build copies the jar; see the parent POM). Its filesystem backend makes {@code If-None-Match: *}
 * atomic across processes, as S3 does. Buckets are directories under {@link #dataDirectory()}.
 */
public final class S3TestServer implements AutoCloseable {
    public static final String ACCESS_KEY = "lakeshard-test";
    public static final String SECRET_KEY = "lakeshard-test-secret";

    private final Path directory;
    private final int port;
    private final String accessKey;
    private final String secretKey;
    private final String authorization;
    private Process process;

    private S3TestServer(Path directory, int port, String accessKey, String secretKey, String authorization) {
        this.directory = directory;
        this.port = port;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.authorization = authorization;
    }

    /** Starts a server keeping its objects under {@code directory}. */
    public static S3TestServer start(Path directory) throws IOException {
        return start(directory, ACCESS_KEY, SECRET_KEY);
    }

    /** Starts a server that accepts only this key pair. */
    public static S3TestServer start(Path directory, String accessKey, String secretKey) throws IOException {
        S3TestServer server = new S3TestServer(directory.toAbsolutePath(), freePort(), accessKey, secretKey, "aws-v2-or-v4");
        server.restart();
        return server;
    }

    /**
     * A server that checks no signatures, for {@link S3FaultProxy} dropping a header: a proxy that changes signed headers
     * invalidates the signature.
     */
    public static S3TestServer startWithoutAuthorization(Path directory) throws IOException {
        S3TestServer server = new S3TestServer(directory.toAbsolutePath(), freePort(), ACCESS_KEY, SECRET_KEY, "none");
        server.restart();
        return server;
    }

    public static Path jar() {
        String jar = System.getProperty("lakeshard.s3proxy.jar");
        if (jar == null || !Files.exists(Path.of(jar))) {
            throw new IllegalStateException("the s3proxy jar is missing (" + jar + "): run the tests through Maven, which copies it");
        }
        return Path.of(jar);
    }

    /** Starts the server again on the same port and data after {@link #kill()}. */
    public void restart() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("already running");
        }
        Files.createDirectories(dataDirectory());
        Path properties = directory.resolve("s3proxy.properties");
        Files.writeString(properties, String.join("\n",
                "s3proxy.endpoint=" + endpoint(),
                "s3proxy.authorization=" + authorization,
                "s3proxy.identity=" + accessKey,
                "s3proxy.credential=" + secretKey,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + dataDirectory()) + "\n");
        process = new ProcessBuilder(List.of(javaBinary(), "-Xmx256m", "-jar", jar().toString(),
                "--properties", properties.toString()))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(directory.resolve("s3proxy.log").toFile()))
                .start();
        awaitListening(Duration.ofSeconds(60));
    }

    /** Kills the server at once, as a crash or a network partition would take it away. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    public Path dataDirectory() {
        return directory.resolve("data");
    }

    /** A new, empty bucket with a unique name: S3A caches one filesystem per bucket and JVM. */
    public String createBucket() throws IOException {
        return createBucket("lakeshard-" + UUID.randomUUID().toString().substring(0, 8));
    }

    public String createBucket(String bucket) throws IOException {
        Files.createDirectories(dataDirectory().resolve(bucket));
        return bucket;
    }

    public S3Settings settings() {
        return new S3Settings(Optional.of(endpoint()), "us-east-1", true, S3Settings.Credentials.STATIC,
                Optional.of(accessKey), Optional.of(secretKey));
    }

    /** The Hadoop settings for a root on this server, failing fast instead of retrying for minutes when it is gone. */
    public Map<String, String> hadoopSettings() {
        Map<String, String> settings = new HashMap<>(settings().hadoopSettings());
        settings.putAll(fastFailure());
        return settings;
    }

    /** S3A retries a lost store for minutes by default; tests that take the store away want the error now. */
    private static Map<String, String> fastFailure() {
        return Map.of(
                "fs.s3a.retry.limit", "1",
                "fs.s3a.retry.interval", "100ms",
                "fs.s3a.attempts.maximum", "1",
                "fs.s3a.connection.establish.timeout", "2s",
                "fs.s3a.connection.timeout", "10s");
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null) {
            kill();
        }
    }

    private void awaitListening(Duration timeout) throws IOException {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IOException("s3proxy exited with " + process.exitValue() + "; see " + directory.resolve("s3proxy.log"));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for s3proxy", e);
                }
            }
        }
        throw new IOException("s3proxy did not listen on port " + port + " within " + timeout);
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
