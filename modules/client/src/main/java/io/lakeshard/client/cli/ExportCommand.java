package io.lakeshard.client.cli;

import io.lakeshard.api.v1.Consistency;
import io.lakeshard.api.v1.ExportQueryRequest;
import io.lakeshard.api.v1.ExportQueryResponse;
import io.lakeshard.api.v1.ExportedFile;
import io.lakeshard.api.v1.QueryRequest;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.QueryResults;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lakeshard export}: a query's whole result into a local file, batch by batch as it streams in, under a
 * temporary name until complete.
 */
@Command(name = "export", description = "Run SQL and write every row of the result into a Parquet, CSV or JSON-lines file.")
final class ExportCommand extends LakeshardCli.Base {
    @Parameters(index = "0", description = "the SQL statement")
    String sql;

    @Option(names = "--to", description = "the file; its extension (.parquet, .csv, .jsonl) names the format")
    Path to;

    @Option(names = "--to-server-dir", description = "instead of --to: write Parquet files on the servers' side, into this "
            + "directory of your tenant's export directory (relative to it, or s3a://...)")
    String serverDirectory;

    @Option(names = "--partition-by", description = "with --to-server-dir: a column to lay out as col=value/ directories; repeat for more")
    List<String> partitionBy = new ArrayList<>();

    @Option(names = "--format", description = "parquet, csv or jsonl, whatever the file's extension")
    String format;

    @Option(names = "--overwrite", description = "replace the file if it exists")
    boolean overwrite;

    @Option(names = "--label", defaultValue = "", description = "a name shown beside the query's id in 'lakeshard queries'")
    String label;

    @Option(names = "--timeout", description = "how long the query may run, like 30m or 2h (default: the server's)")
    String timeout;

    @Override
    void run(LakeshardClient client) throws IOException {
        if ((to == null) == (serverDirectory == null)) {
            throw new CommandException("give either --to <file> or --to-server-dir <directory>");
        }
        if (serverDirectory != null) {
            exportOnServer(client);
            return;
        }
        if (!partitionBy.isEmpty()) {
            throw new CommandException("--partition-by goes with --to-server-dir");
        }
        ExportFormat fileFormat = ExportFormat.of(to, format);
        // Checked again when the file is made; this one spares the server a query whose result could not be kept.
        PendingFile.refuseExisting(to.toAbsolutePath(), overwrite);
        QueryRequest.Builder request = QueryRequest.newBuilder().setSql(sql).setLabel(label)
                // Every row: the server's default limit would cut an export short.
                .setRowLimit(Long.MAX_VALUE)
                .setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES);
        if (timeout != null) {
            request.setTimeoutMillis(Math.max(1, Durations.parse(timeout, "--timeout").toMillis()));
        }
        long started = System.nanoTime();
        long rows;
        long bytes;
        try (QueryResults results = client.query(request.build())) {
            // The server refuses a bad query here, before any file exists.
            boolean first = results.next();
            try (PendingFile file = PendingFile.beside(to, overwrite)) {
                ExportProgress progress = new ExportProgress(err(), ExportProgress.stderrIsTerminal(), file.path(), started);
                ResultBatches batches = new ResultBatches(results, first, progress, client.allocator());
                try {
                    fileFormat.writer().write(batches, file.path());
                } catch (IOException | RuntimeException e) {
                    // A failed query surfaces as a failed read inside the writer; its own error says more.
                    if (batches.failure() != null && batches.failure() != e) {
                        batches.failure().addSuppressed(e);
                        throw batches.failure();
                    }
                    throw e;
                } finally {
                    progress.done();
                }
                if (results.truncated()) {
                    throw new CommandException("the server cut the result at " + results.rowLimit()
                            + " rows (its row limit); an export takes every row or none, so nothing was written");
                }
                rows = batches.rows();
                bytes = Files.size(file.path());
                file.commit();
            }
        }
        out().printf(Locale.ROOT, "exported %d rows to %s (%s) in %.1f s%n", rows, to, ExportProgress.size(bytes),
                (System.nanoTime() - started) / 1e9);
    }

    /** The server writes the files; this waits for the list, however long the query runs. */
    private void exportOnServer(LakeshardClient client) {
        if (format != null && !format.equalsIgnoreCase("parquet")) {
            throw new CommandException("--to-server-dir writes Parquet only");
        }
        Duration limit = timeout == null ? Duration.ZERO : Durations.parse(timeout, "--timeout");
        long started = System.nanoTime();
        ExportQueryResponse written = client.exportQuery(ExportQueryRequest.newBuilder().setSql(sql).setDestination(serverDirectory)
                .addAllPartitionBy(partitionBy).setOverwrite(overwrite).setTimeoutMillis(limit.toMillis()).build(),
                // The call waits for the query: as long as it may run, and longer than the server's default.
                limit.isZero() ? Duration.ofHours(1) : limit.plusMinutes(1));
        List<List<String>> rows = new ArrayList<>();
        for (ExportedFile file : written.getFilesList()) {
            rows.add(List.of(file.getUri().substring(written.getDirectory().length()), ProgressLine.size(file.getBytes())));
        }
        TablePrinter.printTable(out(), client.allocator(), List.of("file", "size"), rows);
        out().printf(Locale.ROOT, "exported %d rows to %d files in %s (%s) in %.1f s%n", written.getRows(), written.getFilesCount(),
                written.getDirectory(), ProgressLine.size(written.getBytes()), (System.nanoTime() - started) / 1e9);
    }
}
