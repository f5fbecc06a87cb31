package io.lakeshard.client.cli;

import io.lakeshard.api.v1.ImportFailure;
import io.lakeshard.api.v1.ImportJob;
import io.lakeshard.api.v1.StartImportRequest;
import io.lakeshard.client.LakeshardClient;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lakeshard import}: Parquet files from a directory or an S3 prefix into a dataset, as jobs the cluster runs. */
@Command(name = "import", description = "Import Parquet files into a dataset: start a job, follow it, list jobs, stop one.",
        subcommands = {ImportCommands.Start.class, ImportCommands.Status.class, ImportCommands.Stop.class})
final class ImportCommands extends LakeshardCli.Group {
    /** How often a followed job is asked how far it got. */
    private static final Duration POLL = Duration.ofMillis(500);
    private static final int BAR = 30;
    private static final List<String> STATUS_COLUMNS = List.of("job", "dataset", "state", "imported", "failed", "waiting", "rows", "bytes", "last_error");

    @Command(name = "start", description = "Start an import job; without --watch or --detach, follow it to its end with a progress bar.")
    static final class Start extends LakeshardCli.Base {
        @Parameters(index = "0", description = "a directory on the servers (path or file: URI) or s3a://bucket/prefix, "
                + "inside your tenant's import directory")
        String source;

        @Option(names = "--into", required = true, description = "the dataset, catalog.schema.table")
        String dataset;

        @Option(names = "--job", description = "the job's id (default: one named by the dataset, source, glob and "
                + "--watch, so the same import run again is the same job and imports only files it has not imported)")
        String job;

        @Option(names = "--glob", defaultValue = "", description = "which files, by path below the source (default: **.parquet)")
        String glob;

        @Option(names = "--watch", description = "keep listing the source and import new files until stopped")
        boolean watch;

        @Option(names = "--interval", defaultValue = "30s", description = "how often a watched source is listed (default: ${DEFAULT-VALUE})")
        String interval;

        @Option(names = "--min-age", defaultValue = "0s", description = "import a file once unmodified this long (default: ${DEFAULT-VALUE})")
        String minAge;

        @Option(names = "--detach", description = "start the job and return; follow it with `lakeshard import status`")
        boolean detach;

        private int exit;

        private String defaultJobId() throws NoSuchAlgorithmException {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(String.join("\n", dataset, source, glob, String.valueOf(watch))
                    .getBytes(StandardCharsets.UTF_8));
            return "import-" + HexFormat.of().formatHex(digest, 0, 6);
        }

        @Override
        public Integer call() throws Exception {
            super.call();
            return exit;
        }

        @Override
        void run(LakeshardClient client) throws InterruptedException, NoSuchAlgorithmException {
            String id = job != null ? job : defaultJobId();
            ImportJob started = client.startImport(StartImportRequest.newBuilder().setJobId(id).setDataset(dataset).setSource(source)
                    .setGlob(glob).setWatch(watch).setIntervalMillis(Durations.parse(interval, "--interval").toMillis())
                    .setMinAgeMillis(Durations.parse(minAge, "--min-age").toMillis()).build());
            if (watch || detach) {
                out().println((watch ? "watching " : "importing ") + started.getSource() + " into " + started.getDataset() + " as job "
                        + started.getJobId() + "; see: lakeshard import status " + started.getJobId());
                return;
            }
            long startedNanos = System.nanoTime();
            ProgressLine progress = new ProgressLine(err(), ProgressLine.stderrIsTerminal(), startedNanos, System::nanoTime);
            ImportJob job = started;
            while (job.getState().equals("RUNNING")) {
                progress.show(bar(job));
                Thread.sleep(POLL.toMillis());
                job = client.importJob(id);
            }
            progress.done();
            double seconds = (System.nanoTime() - startedNanos) / 1e9;
            out().printf(Locale.ROOT, "%s: imported %,d of %,d files (%,d rows, %s) into %s in %.1f s%s%n", job.getState().toLowerCase(Locale.ROOT),
                    job.getFilesImported(), job.getFilesFound(), job.getRows(), ProgressLine.size(job.getBytes()), job.getDataset(), seconds,
                    job.getFilesFailed() == 0 ? "" : String.format(Locale.ROOT, "; %,d failed:", job.getFilesFailed()));
            if (job.getFilesFailed() > 0) {
                printFailures(client, out(), job);
                exit = 1;
            }
        }
    }

    @Command(name = "status", description = "Your import jobs as a table, or one job with its failed files.")
    static final class Status extends LakeshardCli.Base {
        @Parameters(index = "0", arity = "0..1", description = "a job id")
        String job;

        @Override
        void run(LakeshardClient client) {
            if (job == null) {
                List<List<String>> rows = new ArrayList<>();
                for (ImportJob each : client.importJobs()) {
                    rows.add(row(each));
                }
                TablePrinter.printTable(out(), client.allocator(), STATUS_COLUMNS, rows);
                return;
            }
            ImportJob status = client.importJob(job);
            TablePrinter.printTable(out(), client.allocator(), STATUS_COLUMNS, List.of(row(status)));
            out().println("source " + status.getSource() + " (" + status.getGlob() + (status.getWatch() ? ", watched" : "") + "), started "
                    + Instant.ofEpochMilli(status.getStartedAtMillis()) + ", last listed "
                    + (status.getLastListedAtMillis() == 0 ? "never" : Instant.ofEpochMilli(status.getLastListedAtMillis()).toString())
                    + ", " + status.getCommits() + " commits, last at version " + status.getLastVersion());
            if (status.getFilesFailed() > 0) {
                printFailures(client, out(), status);
            }
        }

        private static List<String> row(ImportJob job) {
            return List.of(job.getJobId(), job.getDataset(), job.getState(), job.getFilesImported() + "/" + job.getFilesFound(),
                    String.valueOf(job.getFilesFailed()), String.valueOf(job.getFilesWaiting()), String.format(Locale.ROOT, "%,d", job.getRows()),
                    ProgressLine.size(job.getBytes()), job.getLastError());
        }
    }

    @Command(name = "stop", description = "Stop an import job: it lists and imports no more; what it committed stays.")
    static final class Stop extends LakeshardCli.Base {
        @Parameters(index = "0", description = "a job id")
        String job;

        @Override
        void run(LakeshardClient client) {
            ImportJob stopped = client.stopImport(job);
            out().printf(Locale.ROOT, "%s %s: %,d files imported, %,d rows%n", stopped.getJobId(), stopped.getState().toLowerCase(Locale.ROOT),
                    stopped.getFilesImported(), stopped.getRows());
        }
    }

    private static void printFailures(LakeshardClient client, PrintWriter out, ImportJob job) {
        List<List<String>> rows = new ArrayList<>();
        for (ImportFailure failure : job.getFailuresList()) {
            rows.add(List.of(failure.getPath(), failure.getReason()));
        }
        TablePrinter.printTable(out, client.allocator(), List.of("file", "reason"), rows);
        if (job.getFilesFailed() > job.getFailuresCount()) {
            out.printf(Locale.ROOT, "... and %,d more%n", job.getFilesFailed() - job.getFailuresCount());
        }
    }

    /** A job's progress as a bar of its files. */
    private static String bar(ImportJob job) {
        int total = job.getFilesFound() + job.getFilesWaiting();
        int done = job.getFilesImported() + job.getFilesFailed();
        int filled = total == 0 ? 0 : (int) ((long) BAR * done / total);
        return String.format(Locale.ROOT, "[%s%s] %,d/%,d files  %,d rows  %s%s%s", "#".repeat(filled), ".".repeat(BAR - filled),
                done, total, job.getRows(), ProgressLine.size(job.getBytes()),
                job.getFilesFailed() == 0 ? "" : String.format(Locale.ROOT, "  %,d failed", job.getFilesFailed()),
                job.getFilesWaiting() == 0 ? "" : String.format(Locale.ROOT, "  %,d waiting to be old enough", job.getFilesWaiting()));
    }
}
