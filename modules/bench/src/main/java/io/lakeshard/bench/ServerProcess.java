package io.lakeshard.bench;

import static java.util.Objects.requireNonNull;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged server ({@code modules/server/target/dist}, what the container runs) started as its own process the
 * way a user starts it: no JAVA_OPTS unless asked for, so with the memory it ships with, on its embedded default with the development
 * key it prints. Its memory is then the server's alone, read from {@code /proc}.
 */
final class ServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening for gRPC on .*:(\\d+)$");
    /** Linux reports process times in USER_HZ, 100 a second on every architecture it runs on here. */
    private static final int CLOCK_TICKS = 100;
    private static final Pattern FLIGHT = Pattern.compile("listening for Arrow Flight SQL on port (\\d+)$");
    private static final Pattern KEY = Pattern.compile("Development API key \\(tenant 'dev'\\): (\\S+)$");

    private final Process process;
    private final int port;
    private final int flightPort;
    private final String key;

    private ServerProcess(Process process, int port, int flightPort, String key) {
        this.process = requireNonNull(process, "process is null");
        this.port = port;
        this.flightPort = flightPort;
        this.key = requireNonNull(key, "key is null");
    }

    /** Starts {@code dist}'s server with its data in {@code dataDir}; its output goes to {@code log}. */
    static ServerProcess start(Path dist, Path dataDir, Path log) throws Exception {
        return start(dist, dataDir, log, Map.of());
    }

    /** As {@link #start(Path, Path, Path)}, with {@code settings} (LAKESHARD_* variables) added to its environment. */
    static ServerProcess start(Path dist, Path dataDir, Path log, Map<String, String> settings) throws Exception {
        Path script = dist.resolve("bin/lakeshard-server");
        if (!Files.isExecutable(script)) {
            throw new IllegalStateException(script + " is missing: build it first (mvn -B -q -DskipTests install)");
        }
        ProcessBuilder builder = new ProcessBuilder(script.toString()).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        // Only what is asked for, to profile it (-Dbench.server.java-opts="-XX:NativeMemoryTracking=summary", say).
        env.remove("JAVA_OPTS");
        String javaOpts = System.getProperty("bench.server.java-opts", "");
        if (!javaOpts.isBlank()) {
            env.put("JAVA_OPTS", javaOpts);
        }
        env.put("LAKESHARD_DATA_DIR", dataDir.toString());
        env.put("LAKESHARD_GRPC_PORT", "0");
        env.put("LAKESHARD_FLIGHT_PORT", "0");
        env.putAll(settings);
        env.put("LAKESHARD_REMOTE_PORT", Integer.toString(LoopbackPorts.free()));
        env.put("LAKESHARD_MANAGEMENT_PORT", Integer.toString(LoopbackPorts.free()));
        Process process = builder.start();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        CompletableFuture<Integer> flightPort = new CompletableFuture<>();
        CompletableFuture<String> key = new CompletableFuture<>();
        Thread output = new Thread(() -> copy(process, log, port, flightPort, key), "server-output");
        output.setDaemon(true);
        output.start();
        try {
            return new ServerProcess(process, port.get(3, TimeUnit.MINUTES), flightPort.get(1, TimeUnit.MINUTES), key.get(1, TimeUnit.MINUTES));
        } catch (TimeoutException e) {
            process.destroyForcibly();
            throw new IllegalStateException("the server did not start within 3 minutes: see " + log, e);
        }
    }

    private static void copy(Process process, Path log, CompletableFuture<Integer> port, CompletableFuture<Integer> flightPort,
            CompletableFuture<String> key) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true)) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                out.println(line);
                Matcher listening = LISTENING.matcher(line);
                if (listening.find()) {
                    port.complete(Integer.parseInt(listening.group(1)));
                }
                Matcher flight = FLIGHT.matcher(line);
                if (flight.find()) {
                    flightPort.complete(Integer.parseInt(flight.group(1)));
                }
                Matcher development = KEY.matcher(line);
                if (development.find()) {
                    key.complete(development.group(1));
                }
            }
        } catch (IOException e) {
            port.completeExceptionally(e);
            flightPort.completeExceptionally(e);
            key.completeExceptionally(e);
        }
        // The output ends when the server exits: a start that never got this far failed.
        port.completeExceptionally(new IllegalStateException("the server's output ended before it listened"));
        flightPort.completeExceptionally(new IllegalStateException("the server's output ended before it served Flight SQL"));
        key.completeExceptionally(new IllegalStateException("the server's output ended before it printed its key"));
    }

    int port() {
        return port;
    }

    int flightPort() {
        return flightPort;
    }

    /** The development key of tenant {@code dev}, an admin. */
    String key() {
        return key;
    }

    /** The server's peak resident memory so far (VmHWM), in MiB; the JVM is the script's child, exec'd in its place. */
    long peakRssMiB() throws IOException {
        return status("VmHWM") >> 10;
    }

    long rssMiB() throws IOException {
        return status("VmRSS") >> 10;
    }

    /** The CPU time the server has used so far (user and system), in seconds. */
    double cpuSeconds() throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"), StandardCharsets.US_ASCII);
        // The fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / (double) CLOCK_TICKS;
    }

    private long status(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").trim());
            }
        }
        throw new IllegalStateException(field + " is not in /proc/" + process.pid() + "/status");
    }

    /** Stops it as a user would (SIGTERM, then its shutdown), killing it if that takes over a minute. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(1, TimeUnit.MINUTES)) {
            process.destroyForcibly().waitFor(1, TimeUnit.MINUTES);
        }
    }
}
