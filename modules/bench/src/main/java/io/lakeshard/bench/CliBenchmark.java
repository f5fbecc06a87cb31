package io.lakeshard.bench;

import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.QueryResults;
import io.lakeshard.server.LakeshardServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * The wall clock of one CLI command, start to exit, as a user sees it: {@code bin/lakeshard list}, {@code describe} and
 * a small {@code query} against a server on loopback that is already running and warm (here, in this JVM, which
 * idles while the commands run, warmed up by the same calls through the SDK first). Each command is timed through
 * {@code bin/lakeshard} (its JVM options and AppCDS archives, which the first run of a group writes into the work
 * directory) and as a plain {@code java -jar} of the same jar, the two interleaved so that the machine's load weighs
 * on both alike. Usage:
 * {@code CliBenchmark <repository root> <work-dir> [runs]}.
 */
public final class CliBenchmark {
    private static final String KEY = "bench-key";
    private static final int WARM_UP_CALLS = 50;
    private static final String DATASET = "observability.traces.spans";
    private static final String QUERY = "SELECT service_name, count(*) AS spans, max(duration_ms) AS slowest FROM " + DATASET
            + " GROUP BY 1 ORDER BY 1";

    private CliBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]).toAbsolutePath().normalize();
        Path dir = WorkDirectory.fresh(Path.of(args[1]).toAbsolutePath());
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 11;
        Path jar = cliJar(root);
        System.out.printf("CLI benchmark: %d cores, load average %s, %d runs per command, %s%n%n",
                Runtime.getRuntime().availableProcessors(), loadAverage(), runs, jar.getFileName());
        try (LakeshardServer server = BenchServers.start(dir.resolve("server"), KEY, "")) {
            Commands commands = new Commands(root, jar, dir, "127.0.0.1:" + server.port());
            // Set up with plain java, so that the first timed run of each group is the one that writes its archive.
            commands.plain(List.of("register", DATASET, "--schema", root.resolve("examples/spans.schema.json").toString(),
                    "--partition", "service_name", "--event-time", "start_time"));
            commands.plain(List.of("write", DATASET, "--file", root.resolve("examples/spans.csv").toString()));
            warmUp(server.port());
            List<Timed> timed = List.of(new Timed("list", true, List.of("list")),
                    new Timed("describe", false, List.of("describe", DATASET)),
                    new Timed("query (4 rows)", true, List.of("query", QUERY)));

            System.out.printf("%-16s %-22s %-22s %s%n", "command", "bin/lakeshard", "java -jar, no options", "first run of bin/lakeshard");
            for (Timed command : timed) {
                double first = commands.script(command.words());
                commands.plain(command.words());
                List<Double> script = new ArrayList<>();
                List<Double> plain = new ArrayList<>();
                for (int run = 0; run < runs; run++) {
                    script.add(commands.script(command.words()));
                    plain.add(commands.plain(command.words()));
                }
                System.out.printf("%-16s %-22s %-22s %.0f ms%s%n", command.label(), medianP95(script), medianP95(plain), first,
                        command.writesArchive() ? ", writing its group's archive" : "");
            }
            System.out.printf("%nload average at the end: %s%n", loadAverage());
        }
    }

    /** A timed command; the first run of {@code list} and {@code query} writes the archive of its group. */
    private record Timed(String label, boolean writesArchive, List<String> words) {}

    /** The server's side of the three commands, run until its JIT has compiled them: the server is warm. */
    private static void warmUp(int port) {
        try (LakeshardClient client = LakeshardClient.connect("127.0.0.1", port, KEY)) {
            for (int i = 0; i < WARM_UP_CALLS; i++) {
                client.datasets();
                client.describe(DATASET);
                client.dataset(DATASET);
                try (QueryResults results = client.query(QUERY)) {
                    while (results.next()) {
                        results.batch();
                    }
                }
            }
        }
    }

    private static String medianP95(List<Double> millis) {
        List<Double> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        return String.format("%.0f / %.0f ms", percentile(sorted, 0.5), percentile(sorted, 0.95));
    }

    private static double percentile(List<Double> sorted, double p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }

    private static Path cliJar(Path root) throws IOException {
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(root.resolve("modules/client/target"), "lakeshard-client-*-cli.jar")) {
            Iterator<Path> jar = jars.iterator();
            if (!jar.hasNext()) {
                throw new IllegalStateException("no CLI jar under modules/client/target: package modules/client first");
            }
            return jar.next();
        }
    }

    private static String loadAverage() {
        return String.format("%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    /** Runs CLI commands as child processes and times them, start to exit. */
    private static final class Commands {
        private final Path root;
        private final Path jar;
        private final Path dir;
        private final String server;

        Commands(Path root, Path jar, Path dir, String server) {
            this.root = root;
            this.jar = jar;
            this.dir = dir;
            this.server = server;
        }

        double script(List<String> words) throws IOException, InterruptedException {
            List<String> command = new ArrayList<>(List.of(root.resolve("bin/lakeshard").toString()));
            command.addAll(words);
            return run(command);
        }

        double plain(List<String> words) throws IOException, InterruptedException {
            List<String> command = new ArrayList<>(List.of("java", "--add-opens=java.base/java.nio=ALL-UNNAMED", "-jar", jar.toString()));
            command.addAll(words);
            return run(command);
        }

        private double run(List<String> command) throws IOException, InterruptedException {
            Path out = dir.resolve("out.txt");
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
            builder.environment().put("LAKESHARD_SERVER", server);
            builder.environment().put("LAKESHARD_API_KEY", KEY);
            // The script's archives go to the work directory: the benchmark's first run writes them.
            builder.environment().put("LAKESHARD_CDS_DIR", dir.resolve("cds").toString());
            long start = System.nanoTime();
            int exit = builder.start().waitFor();
            double millis = (System.nanoTime() - start) / 1e6;
            if (exit != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited with " + exit + ":\n"
                        + Files.readString(out, StandardCharsets.UTF_8));
            }
            return millis;
        }
    }
}
