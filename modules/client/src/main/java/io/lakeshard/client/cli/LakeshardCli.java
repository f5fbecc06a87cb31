package io.lakeshard.client.cli;

import io.lakeshard.api.v1.Consistency;
import io.lakeshard.api.v1.Dataset;
import io.lakeshard.api.v1.DescribeTableResponse;
import io.lakeshard.api.v1.QueryRequest;
import io.lakeshard.api.v1.RunningQuery;
import io.lakeshard.api.v1.Task;
import io.lakeshard.api.v1.WriteResponse;
import io.lakeshard.client.BatchingWriter;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.LakeshardException;
import io.lakeshard.client.QueryResults;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The {@code lakeshard} command line: datasets, writes and queries against a Lakeshard server. */
@Command(name = "lakeshard", mixinStandardHelpOptions = true, version = "lakeshard 0.1",
        description = "Talk to a Lakeshard server. Connection: --server/--key, or LAKESHARD_SERVER and LAKESHARD_API_KEY.",
        subcommands = {
            LakeshardCli.Register.class, LakeshardCli.Adopt.class, LakeshardCli.ListDatasets.class, LakeshardCli.Describe.class, LakeshardCli.Write.class,
            LakeshardCli.Query.class, ExportCommand.class,
            LakeshardCli.Optimize.class, LakeshardCli.Vacuum.class, LakeshardCli.Expire.class, LakeshardCli.Delete.class,
            LakeshardCli.Queries.class, LakeshardCli.Cancel.class, LakeshardCli.Tasks.class, LakeshardCli.Drop.class,
            TraceCommands.class, ImportCommands.class, SamplerCommands.class})
public final class LakeshardCli {
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line, with errors from the server printed as one line and exit code 2. */
    public static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new LakeshardCli());
        commandLine.setExecutionExceptionHandler((error, line, parsed) -> {
            String message = error instanceof LakeshardException || error instanceof IllegalArgumentException
                    || error instanceof CommandException ? error.getMessage() : error.toString();
            line.getErr().println("error: " + message);
            line.getErr().flush();
            return 2;
        });
        return commandLine;
    }

    /** Where the server is and which key to use. */
    static final class Connection {
        @Option(names = "--server", description = "host:port of a Lakeshard node, or of several, comma-separated, to fail "
                + "over between (default: ${DEFAULT-VALUE})",
                defaultValue = "${env:LAKESHARD_SERVER:-127.0.0.1:8080}")
        String server;

        @Option(names = "--key", description = "API key (default: the LAKESHARD_API_KEY variable)",
                defaultValue = "${env:LAKESHARD_API_KEY}")
        String key;

        LakeshardClient connect() {
            if (key == null || key.isBlank()) {
                throw new IllegalArgumentException("no API key: pass --key or set LAKESHARD_API_KEY");
            }
            return LakeshardClient.connect(endpoints(server), key);
        }

        /** {@code host:port[,host:port...]}. */
        static List<InetSocketAddress> endpoints(String servers) {
            List<InetSocketAddress> endpoints = new ArrayList<>();
            for (String server : servers.split(",")) {
                String endpoint = server.strip();
                int colon = endpoint.lastIndexOf(':');
                if (colon <= 0 || colon == endpoint.length() - 1) {
                    throw new IllegalArgumentException("--server takes host:port, comma-separated; not '" + endpoint + "'");
                }
                endpoints.add(InetSocketAddress.createUnresolved(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1))));
            }
            return endpoints;
        }
    }

    /** A command of subcommands only: run alone, it prints their usage. */
    abstract static class Group implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().usage(spec.commandLine().getOut());
            return 0;
        }
    }

    abstract static class Base implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Spec
        CommandLine.Model.CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }

        @Override
        public Integer call() throws Exception {
            try (LakeshardClient client = connection.connect()) {
                run(client);
            }
            out().flush();
            return 0;
        }

        abstract void run(LakeshardClient client) throws Exception;
    }

    @Command(name = "register", description = "Register a dataset from an Arrow schema file (Arrow's JSON schema form).")
    static final class Register extends Base {
        @Parameters(index = "0", description = "catalog.schema.table")
        String name;

        @Option(names = "--schema", required = true, description = "Arrow schema as JSON")
        Path schema;

        @Option(names = "--partition", description = "a partition column; repeat for more")
        List<String> partitions = new ArrayList<>();

        @Option(names = "--event-time", description = "the timestamp or date column that dates each row")
        String eventTime;

        @Override
        void run(LakeshardClient client) throws IOException {
            Dataset dataset = client.register(name, Schema.fromJSON(Files.readString(schema)), partitions, eventTime, null);
            out().println((dataset.getCreated() ? "registered " : "already registered: ") + dataset.getName());
        }
    }

    @Command(name = "adopt", description = "Register the Delta table another engine wrote in a directory of your import "
            + "directory (or an s3a:// prefix) as a dataset, as it is: its columns and partitions, its files where they are.")
    static final class Adopt extends Base {
        @Parameters(index = "0", description = "catalog.schema.table")
        String name;

        @Parameters(index = "1", description = "the table's directory on the servers, or s3a://bucket/prefix")
        String location;

        @Override
        void run(LakeshardClient client) {
            Dataset dataset = client.adopt(name, location);
            out().println((dataset.getCreated() ? "adopted " : "already adopted: ") + dataset.getName() + " at " + dataset.getLocation()
                    + (dataset.getReadOnly() ? "; read-only: " + dataset.getReadOnlyReason() : ""));
        }
    }

    @Command(name = "list", description = "List the datasets of your tenant.")
    static final class ListDatasets extends Base {
        @Override
        void run(LakeshardClient client) {
            TablePrinter.printTable(out(), client.allocator(), List.of("dataset", "partition_columns", "registered_at"),
                    client.datasets().stream().map(d -> List.of(d.getName(), String.join(",", d.getPartitionColumnsList()),
                            Instant.ofEpochMilli(d.getRegisteredAtMillis()).toString())).toList());
        }
    }

    @Command(name = "describe", description = "Describe a dataset: columns, partitions, version, files, rows, bytes.")
    static final class Describe extends Base {
        @Parameters(index = "0")
        String name;

        @Override
        void run(LakeshardClient client) {
            DescribeTableResponse table = client.describe(name);
            Schema schema = client.schema(client.dataset(name));
            out().printf("%s  version %d  files %d  rows %d  bytes %d%n", table.getTable(), table.getVersion(), table.getFiles(),
                    table.getRows(), table.getBytes());
            out().println("partitioned by " + String.join(", ", table.getPartitionColumnsList()));
            schema.getFields().forEach(f -> out().printf("  %-30s %s%s%n", f.getName(), f.getType(), f.isNullable() ? "" : " not null"));
        }
    }

    @Command(name = "write", description = "Write a CSV (with a header line), JSON-lines or Parquet file into a dataset.")
    static final class Write extends Base {
        @Parameters(index = "0")
        String name;

        @Option(names = "--file", required = true)
        Path file;

        @Option(names = "--batch-rows", defaultValue = "50000")
        int batchRows;

        @Override
        void run(LakeshardClient client) throws Exception {
            Schema schema = client.schema(client.dataset(name));
            if (file.getFileName().toString().endsWith(".parquet")) {
                writeParquet(client, schema);
                return;
            }
            TextRows text = new TextRows(schema, client.allocator());
            boolean csv = !file.getFileName().toString().endsWith(".jsonl") && !file.getFileName().toString().endsWith(".json");
            long size = Math.max(1, Files.size(file));
            long bytesRead = 0;
            long lineNumber = 1;
            long rows = 0;
            try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
                    BatchingWriter writer = client.writer(name, schema, new BatchingWriter.Settings(batchRows, 64L << 20, Duration.ofSeconds(5)))) {
                if (csv) {
                    String header = reader.readLine();
                    bytesRead += header.length() + 1;
                    text.csvHeader(header);
                    lineNumber++;
                }
                List<String> lines = new ArrayList<>();
                String line;
                while ((line = reader.readLine()) != null) {
                    bytesRead += line.getBytes(StandardCharsets.UTF_8).length + 1;
                    if (!line.isBlank()) {
                        lines.add(line);
                    }
                    if (lines.size() == batchRows) {
                        rows += append(text, writer, lines, lineNumber, csv);
                        lineNumber += lines.size();
                        lines.clear();
                        progress(rows, bytesRead, size);
                    }
                }
                rows += append(text, writer, lines, lineNumber, csv);
                writer.flush();
                progress(rows, bytesRead, size);
                err().println();
                long committed = writer.responses().stream().mapToLong(WriteResponse::getRows).sum();
                long version = writer.responses().stream().mapToLong(WriteResponse::getTableVersion).max().orElse(-1);
                out().printf("wrote %d rows to %s (table version %d)%n", committed, name, version);
            }
        }

        private void writeParquet(LakeshardClient client, Schema schema) throws Exception {
            long rows = 0;
            try (ParquetRows parquet = new ParquetRows(file, schema, client.allocator(), batchRows);
                    BatchingWriter writer = client.writer(name, schema, new BatchingWriter.Settings(batchRows, 64L << 20, Duration.ofSeconds(5)))) {
                long total = Math.max(1, parquet.totalRows());
                while (parquet.reader().loadNextBatch()) {
                    try (VectorSchemaRoot batch = conform(parquet.reader().getVectorSchemaRoot(), schema, client)) {
                        writer.append(batch);
                        rows += batch.getRowCount();
                    }
                    progress(rows, rows, total);
                }
                writer.flush();
                progress(rows, total, total);
                err().println();
                long committed = writer.responses().stream().mapToLong(WriteResponse::getRows).sum();
                long version = writer.responses().stream().mapToLong(WriteResponse::getTableVersion).max().orElse(-1);
                out().printf("wrote %d rows to %s (table version %d)%n", committed, name, version);
            }
        }

        /**
         * The batch in the dataset's exact schema (DuckDB exports every column as nullable, with its own zone name):
         * values copied column by column, types already cast by the reading query.
         */
        private static VectorSchemaRoot conform(VectorSchemaRoot source, Schema schema, LakeshardClient client) {
            VectorSchemaRoot target = VectorSchemaRoot.create(schema, client.allocator());
            target.allocateNew();
            for (int c = 0; c < schema.getFields().size(); c++) {
                FieldVector from = source.getVector(c);
                FieldVector to = target.getVector(c);
                for (int row = 0; row < source.getRowCount(); row++) {
                    to.copyFromSafe(row, row, from);
                }
                to.setValueCount(source.getRowCount());
            }
            target.setRowCount(source.getRowCount());
            return target;
        }

        private static long append(TextRows text, BatchingWriter writer, List<String> lines, long firstLine, boolean csv) {
            if (lines.isEmpty()) {
                return 0;
            }
            try (VectorSchemaRoot batch = csv ? text.csv(lines, firstLine) : text.jsonLines(lines, firstLine)) {
                writer.append(batch);
                return batch.getRowCount();
            }
        }

        private void progress(long rows, long bytes, long size) {
            int percent = (int) Math.min(100, bytes * 100 / size);
            int filled = percent / 5;
            err().printf("\r[%s%s] %3d%%  %,d rows", "#".repeat(filled), ".".repeat(20 - filled), percent, rows);
            err().flush();
        }
    }

    @Command(name = "query", description = "Run SQL; results as a table, CSV or JSON lines.")
    static final class Query extends Base {
        @Parameters(index = "0", description = "the SQL statement")
        String sql;

        @Option(names = "--format", defaultValue = "TABLE", description = "TABLE, CSV or JSON")
        TablePrinter.Format format;

        @Option(names = "--limit", defaultValue = "1000")
        long limit;

        @Option(names = "--label", defaultValue = "", description = "a name shown beside the query's id in 'lakeshard queries'")
        String label;

        @Override
        void run(LakeshardClient client) {
            TablePrinter printer = new TablePrinter(format);
            try (QueryResults results = client.query(QueryRequest.newBuilder().setSql(sql).setRowLimit(limit).setLabel(label)
                    .setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES).build())) {
                while (results.next()) {
                    printer.add(results.batch());
                }
                printer.print(out());
                if (results.truncated()) {
                    // Beside a table on the terminal; on stderr for CSV and JSON, whose output is data.
                    (format == TablePrinter.Format.TABLE ? out() : err()).println(
                            "(truncated: more rows match than the limit of " + results.rowLimit() + "; --limit raises it)");
                }
            }
        }
    }

    @Command(name = "optimize", description = "Pack a dataset's small files now (admin keys).")
    static final class Optimize extends Base {
        @Parameters(index = "0")
        String name;

        @Override
        void run(LakeshardClient client) {
            out().println(client.optimize(name));
        }
    }

    @Command(name = "vacuum", description = "Delete files no retained version needs, now (admin keys).")
    static final class Vacuum extends Base {
        @Parameters(index = "0")
        String name;

        @Override
        void run(LakeshardClient client) {
            out().println(client.vacuum(name));
        }
    }

    @Command(name = "expire", description = "Drop the days older than the dataset's retention, now (admin keys).")
    static final class Expire extends Base {
        @Parameters(index = "0")
        String name;

        @Override
        void run(LakeshardClient client) {
            out().println(client.expire(name));
        }
    }

    @Command(name = "delete", description = "Delete the rows matching a filter (admin keys).")
    static final class Delete extends Base {
        @Parameters(index = "0")
        String name;

        @Option(names = "--where", required = true, description = "an AND of column comparisons, as in SQL")
        String where;

        @Override
        void run(LakeshardClient client) {
            var deleted = client.deleteRows(name, where);
            out().printf("deleted %d rows (table version %d)%n", deleted.getRowsDeleted(), deleted.getTableVersion());
        }
    }

    @Command(name = "tasks", description = "The maintenance tasks of your datasets (admin keys).")
    static final class Tasks extends Base {
        @Override
        void run(LakeshardClient client) {
            List<List<String>> rows = new ArrayList<>();
            for (Task task : client.tasks()) {
                rows.add(List.of(task.getDataset(), task.getType(), Instant.ofEpochMilli(task.getNextRunAtMillis()).toString(),
                        String.valueOf(task.getFailures()), task.getLastOutcome()));
            }
            TablePrinter.printTable(out(), client.allocator(), List.of("dataset", "task", "next_run", "failures", "last_outcome"), rows);
        }
    }

    @Command(name = "queries", description = "Your tenant's queries running anywhere in the cluster.")
    static final class Queries extends Base {
        @Override
        void run(LakeshardClient client) {
            List<List<String>> rows = new ArrayList<>();
            for (RunningQuery query : client.runningQueries()) {
                rows.add(List.of(query.getQueryId(), query.getLabel(), Instant.ofEpochMilli(query.getStartedAtMillis()).toString(),
                        query.getNode(), query.getSql()));
            }
            TablePrinter.printTable(out(), client.allocator(), List.of("query_id", "label", "started", "node", "sql"), rows);
        }
    }

    @Command(name = "cancel", description = "Cancel one of your tenant's queries, on whichever node it runs.")
    static final class Cancel extends Base {
        @Parameters(index = "0", description = "the query's id, as 'lakeshard queries' lists it")
        String queryId;

        @Override
        void run(LakeshardClient client) {
            if (!client.cancel(queryId)) {
                throw new IllegalArgumentException("no query " + queryId + " is running for your tenant");
            }
            out().println("cancelled " + queryId);
        }
    }

    @Command(name = "drop", description = "Drop a dataset; its files are purged after the grace period.")
    static final class Drop extends Base {
        @Parameters(index = "0")
        String name;

        @Override
        void run(LakeshardClient client) {
            client.drop(name);
            out().println("dropped " + name);
        }
    }
}
