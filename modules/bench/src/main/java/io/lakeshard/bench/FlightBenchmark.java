package io.lakeshard.bench;

import io.lakeshard.api.v1.QueryRequest;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.QueryResults;
import io.lakeshard.server.LakeshardServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.arrow.flight.CallOption;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.auth2.BearerCredentialWriter;
import org.apache.arrow.flight.grpc.CredentialCallOption;
import org.apache.arrow.flight.sql.FlightSqlClient;
import org.apache.arrow.flight.sql.FlightSqlClient.ExecuteIngestOptions;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementIngest.TableDefinitionOptions;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.duckdb.DuckDBResultSet;

/**
 * A full-table result through Arrow Flight SQL (FlightSqlClient and the JDBC driver), beside Lakeshard's own
 * QueryService stream and beside DuckDB reading the table's Parquet files directly (the limit); then bulk ingest
 * through CommandStatementIngest beside the gRPC write API. Args: rows, work directory.
 */
public final class FlightBenchmark {
    private static final String KEY = "bench-key";
    private static final String TABLE = "bench.flight.rows";
    private static final int WRITE_ROWS = 500_000;
    /** Rows per Arrow batch, the server's and DuckDB's alike, so every path moves the same batches. */
    private static final int BATCH_ROWS = Integer.getInteger("bench.batchRows", 65_536);
    private static final Schema SCHEMA = new Schema(List.of(
            new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
            new Field("v", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null),
            new Field("s", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));

    private FlightBenchmark() {}

    public static void main(String[] args) throws Exception {
        long rows = Long.parseLong(args[0]);
        Path dir = WorkDirectory.fresh(Path.of(args[1]));
        try (BufferAllocator allocator = new RootAllocator();
                LakeshardServer server = BenchServers.start(dir.resolve("server"), KEY, """
                lakeshard.storage.root = "%s"
                lakeshard.query.memory-limit = "2GB"
                lakeshard.query.batch-rows = %d
                """.formatted(dir.resolve("storage"), BATCH_ROWS));
                LakeshardClient client = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
            client.register(TABLE, SCHEMA, List.of());
            client.register("bench.flight.ingest_api", SCHEMA, List.of());
            client.register("bench.flight.ingest_flight", SCHEMA, List.of());
            long writeStart = System.nanoTime();
            for (long first = 0, sequence = 1; first < rows; first += WRITE_ROWS, sequence++) {
                try (VectorSchemaRoot batch = batch(allocator, first, (int) Math.min(WRITE_ROWS, rows - first))) {
                    client.write(TABLE, batch, "load", sequence);
                }
            }
            System.out.printf("loaded %,d rows in %.1f s%n", rows, (System.nanoTime() - writeStart) / 1e9);
            int flightPort = server.flightPort().getAsInt();
            String sql = "SELECT id, v, s FROM " + TABLE;
            CallOption auth = new CredentialCallOption(new BearerCredentialWriter(KEY));

            List<String> files;
            try (Stream<Path> walk = Files.walk(dir.resolve("storage"))) {
                // The table's data files only: the Delta log holds Parquet checkpoints too.
                files = walk.map(Path::toString).filter(name -> name.endsWith(".parquet") && !name.contains("/_delta_log/")).sorted().toList();
            }
            String direct = "SELECT id, v, s FROM read_parquet([" + files.stream().map(f -> "'" + f + "'").collect(Collectors.joining(", ")) + "])";
            for (int round = 0; round < 2; round++) {
                String label = round == 0 ? " (warm-up)" : "";
                // The limit: DuckDB scanning the same Parquet files, Arrow out, in this process.
                try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
                        Statement statement = duck.createStatement()) {
                    statement.execute("SET threads = 2");
                    long start = System.nanoTime();
                    try (DuckDBResultSet rs = (DuckDBResultSet) statement.executeQuery(direct);
                            ArrowReader reader = (ArrowReader) rs.arrowExportStream(allocator, BATCH_ROWS)) {
                        long[] counted = drain(reader);
                        report("DuckDB over the Parquet files" + label, counted, System.nanoTime() - start);
                    }
                }
                long start = System.nanoTime();
                try (QueryResults results = client.query(QueryRequest.newBuilder().setSql(sql).setRowLimit(rows).build())) {
                    long[] counted = new long[2];
                    while (results.next()) {
                        add(counted, results.batch());
                    }
                    report("Lakeshard QueryService (gRPC)" + label, counted, System.nanoTime() - start);
                }
                try (FlightClient flight = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", flightPort)).build();
                        FlightSqlClient sqlClient = new FlightSqlClient(flight)) {
                    start = System.nanoTime();
                    FlightInfo info = sqlClient.execute(sql, auth);
                    long[] counted = new long[2];
                    try (FlightStream stream = sqlClient.getStream(info.getEndpoints().get(0).getTicket(), auth)) {
                        while (stream.next()) {
                            add(counted, stream.getRoot());
                        }
                    }
                    report("Flight SQL, FlightSqlClient" + label, counted, System.nanoTime() - start);
                }
                start = System.nanoTime();
                try (Connection jdbc = DriverManager.getConnection("jdbc:arrow-flight-sql://127.0.0.1:" + flightPort
                        + "?useEncryption=false&token=" + KEY);
                        Statement statement = jdbc.createStatement();
                        ResultSet rs = statement.executeQuery(sql)) {
                    long count = 0;
                    long bytes = 0;
                    while (rs.next()) {
                        count++;
                        rs.getLong(1);
                        rs.getDouble(2);
                        String s = rs.getString(3);
                        bytes += 16 + (s == null ? 0 : s.length());
                    }
                    report("Flight SQL, JDBC driver (row by row)" + label, new long[] {count, bytes}, System.nanoTime() - start);
                }
            }

            // Ingest: the same batches through the write API and through CommandStatementIngest.
            int ingestRows = (int) Math.min(rows, 2_000_000);
            long start = System.nanoTime();
            long[] apiCounted = new long[2];
            for (int first = 0, sequence = 1; first < ingestRows; first += WRITE_ROWS, sequence++) {
                try (VectorSchemaRoot batch = batch(allocator, first, Math.min(WRITE_ROWS, ingestRows - first))) {
                    add(apiCounted, batch);
                    client.write("bench.flight.ingest_api", batch, "api", sequence);
                }
            }
            report("ingest: gRPC write API, 500,000-row writes", apiCounted, System.nanoTime() - start);
            try (FlightClient flight = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", flightPort)).build();
                    FlightSqlClient sqlClient = new FlightSqlClient(flight)) {
                start = System.nanoTime();
                long[] counted = new long[2];
                for (int first = 0, request = 1; first < ingestRows; first += WRITE_ROWS, request++) {
                    try (VectorSchemaRoot batch = batch(allocator, first, Math.min(WRITE_ROWS, ingestRows - first))) {
                        add(counted, batch);
                        sqlClient.executeIngest(batch, new ExecuteIngestOptions("bench.flight.ingest_flight",
                                TableDefinitionOptions.getDefaultInstance(), null, null, Map.of("request_id", "load-" + request)), auth);
                    }
                }
                report("ingest: Flight SQL CommandStatementIngest", counted, System.nanoTime() - start);
            }
        }
    }

    private static long[] drain(ArrowReader reader) throws IOException {
        long[] counted = new long[2];
        while (reader.loadNextBatch()) {
            add(counted, reader.getVectorSchemaRoot());
        }
        return counted;
    }

    private static void add(long[] counted, VectorSchemaRoot batch) {
        counted[0] += batch.getRowCount();
        for (ValueVector vector : batch.getFieldVectors()) {
            counted[1] += vector.getBufferSize();
        }
    }

    private static void report(String name, long[] counted, long nanos) {
        double seconds = nanos / 1e9;
        System.out.printf("%-52s %,12d rows %8.2f s %,12.0f rows/s %8.1f MiB/s%n", name, counted[0], seconds,
                counted[0] / seconds, counted[1] / 1048576.0 / seconds);
    }

    private static VectorSchemaRoot batch(BufferAllocator allocator, long first, int count) {
        VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
        BigIntVector id = (BigIntVector) root.getVector("id");
        Float8Vector v = (Float8Vector) root.getVector("v");
        VarCharVector s = (VarCharVector) root.getVector("s");
        id.allocateNew(count);
        v.allocateNew(count);
        s.allocateNew((long) count * 12, count);
        for (int i = 0; i < count; i++) {
            id.set(i, first + i);
            v.set(i, (first + i) * 0.5);
            s.setSafe(i, ("row-" + ((first + i) % 100_000)).getBytes(StandardCharsets.UTF_8));
        }
        root.setRowCount(count);
        return root;
    }
}
