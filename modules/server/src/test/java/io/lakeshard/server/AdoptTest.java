package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.lakeshard.api.v1.Dataset;
import io.lakeshard.api.v1.RegisterDatasetRequest;
import io.lakeshard.api.v1.StartImportRequest;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.LakeshardException;
import io.lakeshard.client.QueryResults;
import io.lakeshard.cluster.TestCluster;
import io.lakeshard.server.grpc.ArrowIpc;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.storage.S3TestServer;
import io.lakeshard.storage.fs.S3Settings;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.TableSnapshot;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adopting Delta tables Spark wrote (the fixtures of {@code delta-fixtures}, written by delta-spark): queries return
 * exactly what Spark reads back — deletion vectors applied, column mapping followed, checkpoints read, nested types and
 * timestamps as they were; a table whose protocol Lakeshard does not write refuses every change and says why; a plain
 * Spark table takes appends and stays a Delta table any reader loads; a drop never deletes the user's files; a tenant
 * adopts only from its own import directory; and the same from an S3 bucket.
 */
class AdoptTest {
    private static final String KEY = "adopt-key";
    private static final String OTHER_KEY = "adopt-other-key";
    private static final String DV_REASON = "deletion vectors: Lakeshard does not write tables with this feature";

    @TempDir
    Path dir;

    @Test
    void queriesReturnWhatSparkReads() throws Exception {
        try (LakeshardServer server = start(""); LakeshardClient client = client(server, KEY)) {
            for (String name : List.of("checkpointed", "deletion_vectors", "column_mapping", "nested_types", "wide")) {
                SparkFixture fixture = SparkFixture.load(name);
                Path location = fixture.copyTo(dir.resolve("import/acme/spark/" + name));
                Dataset adopted = client.adopt("spark.fixtures." + name, location.toString());
                assertTrue(adopted.getCreated(), name);
                assertEquals(location.toRealPath().toUri().toString(), adopted.getLocation());
                assertEquals(fixture.columns(), client.schema(adopted).getFields().stream().map(Field::getName).toList(),
                        name + ": the table's columns, under their logical names");
                assertEquals(fixture.partitionColumns(), adopted.getPartitionColumnsList(), name);
                assertEquals(name.equals("deletion_vectors"), adopted.getReadOnly(), name + ": " + adopted.getReadOnlyReason());
                assertEquals(name.equals("deletion_vectors") ? DV_REASON : "", adopted.getReadOnlyReason());

                assertEquals(fixture.expectedRows(), rows(client, "SELECT * FROM spark.fixtures." + name + " ORDER BY id"),
                        name + ": every row and value as Spark reads them");
                assertEquals(fixture.expectedRows().size(), count(client, "spark.fixtures." + name, "true"), name);
                assertEquals(adopted, client.adopt("spark.fixtures." + name, location.toString()).toBuilder().setCreated(true).build(),
                        "adopting again answers the dataset");
            }
            SparkFixture deleted = SparkFixture.load("deletion_vectors");
            assertEquals(deleted.expectedRows().stream().filter(row -> row.get("category").equals("odd")).toList(),
                    rows(client, "SELECT * FROM spark.fixtures.deletion_vectors WHERE category = 'odd' AND value >= 0 ORDER BY id"),
                    "deletion vectors applied to pruned files too");
            assertEquals(0, count(client, "spark.fixtures.deletion_vectors", "id % 7 = 0 OR id % 11 = 0"), "deleted rows stay deleted");
            try (QueryResults all = client.query("SELECT count(*) FROM spark.fixtures.deletion_vectors")) {
                all.next();
                assertEquals(233L, ((Number) all.batch().getVector(0).getObject(0)).longValue(),
                        "not answered from the statistics, which count the deleted rows");
            }
            assertEquals(233, client.describe("spark.fixtures.deletion_vectors").getRows());
            assertEquals(50, count(client, "spark.fixtures.column_mapping", "name IS NOT NULL"),
                    "a column added under a dropped one's name does not bring its values back");
            SparkFixture nested = SparkFixture.load("nested_types");
            assertEquals(nested.expectedRows().stream().filter(row -> ((String) row.get("ts")).compareTo("2024-01-03T08:00:00") >= 0
                            && row.get("day").equals("2024-03-02")).toList(),
                    rows(client, "SELECT * FROM spark.fixtures.nested_types WHERE ts >= TIMESTAMPTZ '2024-01-03 08:00:00+00' "
                            + "AND day = DATE '2024-03-02' ORDER BY id"), "files pruned by Spark's statistics and partition values");
            assertEquals(60, count(client, "spark.fixtures.wide", "c39 = id * 39"), "columns Spark keeps no statistics for");
            assertEquals(20, count(client, "spark.fixtures.wide", "added IS NOT NULL"), "a column the older files do not hold");
        }
    }

    @Test
    void aTableSparkGoesOnWritingIsReadAtItsNewVersions() throws Exception {
        SparkFixture fixture = SparkFixture.load("deletion_vectors");
        Path location = dir.resolve("import/acme/growing");
        // The table as it was before Spark's deletes and update: its log up to version 3 (a checkpoint there).
        fixture.copyTo(location, relative -> !relative.startsWith("_delta_log/") || logVersion(relative) <= 3);
        try (LakeshardServer server = start("lakeshard.snapshot-poll-interval = 200ms\n"); LakeshardClient client = client(server, KEY)) {
            client.adopt("spark.growing.rows", location.toString());
            assertEquals(300, count(client, "spark.growing.rows", "true"), "every row, before the deletes");
            fixture.copyTo(location, relative -> relative.startsWith("_delta_log/") && logVersion(relative) > 3);
            TestCluster.await(Duration.ofSeconds(30), () -> fixture.expectedRows().equals(rows(client, "SELECT * FROM spark.growing.rows ORDER BY id")),
                    "the deletes and the update Spark committed since, read from the commits after the cached version");
        }
    }

    @Test
    void aTableLakeshardDoesNotWriteRefusesEveryChange() throws Exception {
        SparkFixture fixture = SparkFixture.load("deletion_vectors");
        Path location = fixture.copyTo(dir.resolve("import/acme/dv"));
        Map<String, Long> before = SparkFixture.listing(location);
        try (LakeshardServer server = start(""); LakeshardClient client = client(server, KEY)) {
            CliRun cli = CliRun.run("127.0.0.1:" + server.port(), KEY, 2, "adopt", "spark.dv.rows", location.toString());
            assertEquals(0, cli.exit(), cli.err());
            assertEquals("adopted spark.dv.rows at " + location.toRealPath().toUri() + "; read-only: " + DV_REASON + "\n", cli.out());
            Dataset adopted = client.dataset("spark.dv.rows");
            assertTrue(adopted.getReadOnly());
            try (BufferAllocator allocator = new RootAllocator(); VectorSchemaRoot batch = VectorSchemaRoot.create(client.schema(adopted), allocator)) {
                ((BigIntVector) batch.getVector("id")).setSafe(0, 1000);
                batch.setRowCount(1);
                assertReadOnly(() -> client.write("spark.dv.rows", batch, "app", 0));
            }
            assertReadOnly(() -> client.optimize("spark.dv.rows"));
            assertReadOnly(() -> client.vacuum("spark.dv.rows"));
            assertReadOnly(() -> client.expire("spark.dv.rows"));
            assertReadOnly(() -> client.deleteRows("spark.dv.rows", "id = 1"));
            assertReadOnly(() -> client.addColumns("spark.dv.rows", List.of(Field.nullable("extra", ArrowType.Utf8.INSTANCE))));
            assertReadOnly(() -> client.startImport(StartImportRequest.newBuilder().setJobId("into-dv").setDataset("spark.dv.rows")
                    .setSource(dir.resolve("import/acme").toString()).build()));
            assertEquals(fixture.expectedRows(), rows(client, "SELECT * FROM spark.dv.rows ORDER BY id"));
        }
        assertEquals(before, SparkFixture.listing(location), "not a file written or deleted");
    }

    @Test
    void aPlainSparkTableTakesAppendsAndStaysADeltaTable() throws Exception {
        SparkFixture plain = SparkFixture.load("checkpointed");
        SparkFixture mapped = SparkFixture.load("column_mapping");
        Path plainLocation = plain.copyTo(dir.resolve("import/acme/plain"));
        Path mappedLocation = mapped.copyTo(dir.resolve("import/acme/mapped"));
        try (LakeshardServer server = start(""); LakeshardClient client = client(server, KEY)) {
            Dataset table = client.adopt("spark.plain.orders", plainLocation.toString());
            assertFalse(table.getReadOnly(), table.getReadOnlyReason());
            List<Map<String, Object>> added = new ArrayList<>();
            for (long id = 300; id < 340; id++) {
                added.add(row("id", id, "region", id % 2 == 0 ? "eu" : "sa", "amount", id * 0.5, "day", LocalDate.of(2024, 2, 1),
                        "note", id % 3 == 0 ? null : "added-" + id));
            }
            write(client, "spark.plain.orders", client.schema(table), added);
            List<Map<String, Object>> expected = new ArrayList<>(plain.expectedRows());
            added.forEach(row -> expected.add(canonical(row)));
            assertEquals(expected, rows(client, "SELECT * FROM spark.plain.orders ORDER BY id"), "Spark's rows and the appended ones");

            TableSnapshot reloaded = DeltaTable.at(StorageRoot.local(plainLocation), plainLocation.toUri()).snapshot();
            assertEquals(13, reloaded.version(), "one commit after Spark's twelve appends");
            assertEquals(340, reloaded.numRecords(), "a fresh snapshot of the log holds every row");
            assertTrue(reloaded.readOnlyReason().isEmpty());
            assertTrue(Files.isDirectory(plainLocation.resolve("region=sa")), "a new partition, hive-style as Spark writes it");

            client.optimize("spark.plain.orders");
            assertEquals(expected, rows(client, "SELECT * FROM spark.plain.orders ORDER BY id"), "optimize keeps every row");
            assertTrue(DeltaTable.at(StorageRoot.local(plainLocation), plainLocation.toUri()).snapshot().files().size()
                    < reloaded.files().size(), "optimize packed Spark's small files");

            Dataset mappedTable = client.adopt("spark.mapped.people", mappedLocation.toString());
            assertFalse(mappedTable.getReadOnly(), "name-mode column mapping is written with physical names: " + mappedTable.getReadOnlyReason());
            List<Map<String, Object>> people = new ArrayList<>();
            for (long id = 200; id < 210; id++) {
                people.add(row("id", id, "points", id / 4.0, "city", "Quito", "info", row("postcode", "Q" + id, "floor", (int) id % 9),
                        "name", "lakeshard-" + id));
            }
            write(client, "spark.mapped.people", client.schema(mappedTable), people);
            List<Map<String, Object>> expectedPeople = new ArrayList<>(mapped.expectedRows());
            people.forEach(row -> expectedPeople.add(canonical(row)));
            assertEquals(expectedPeople, rows(client, "SELECT * FROM spark.mapped.people ORDER BY id"));
            assertEquals(210, DeltaTable.at(StorageRoot.local(mappedLocation), mappedLocation.toUri()).snapshot().numRecords());
        }
    }

    @Test
    void droppingAnAdoptedTableForgetsItAndLeavesItsFiles() throws Exception {
        SparkFixture fixture = SparkFixture.load("checkpointed");
        Path location = fixture.copyTo(dir.resolve("import/acme/kept"));
        Map<String, Long> before = SparkFixture.listing(location);
        try (LakeshardServer server = start("""
                lakeshard.maintenance.purge-after = 1s
                lakeshard.maintenance.tick-interval = 200ms
                """); LakeshardClient client = client(server, KEY)) {
            client.adopt("spark.kept.orders", location.toString());
            Dataset owned = client.register("lake.owned.t", new Schema(List.of(Field.nullable("id", new ArrowType.Int(64, true)))), List.of());
            Path ownedDirectory = dir.resolve("server/storage/acme/lake/owned/t");
            assertTrue(Files.isDirectory(ownedDirectory), "the owned table's directory: " + owned.getName());
            client.drop("spark.kept.orders");
            client.drop("lake.owned.t");
            TestCluster.await(Duration.ofSeconds(60), () -> isEmpty(ownedDirectory), "the purge of the dataset Lakeshard created");
            assertEquals(before, SparkFixture.listing(location), "the adopted table's files, every one, as they were");
            LakeshardException gone = assertThrows(LakeshardException.class, () -> client.dataset("spark.kept.orders"));
            assertEquals(Status.Code.NOT_FOUND, gone.code());

            assertTrue(client.adopt("spark.kept.again", location.toString()).getCreated(), "a forgotten location may be adopted again");
            assertEquals(fixture.expectedRows(), rows(client, "SELECT * FROM spark.kept.again ORDER BY id"));
        }
    }

    @Test
    void aTenantAdoptsOnlyTablesInItsOwnImportDirectory() throws Exception {
        SparkFixture fixture = SparkFixture.load("checkpointed");
        Path mine = fixture.copyTo(dir.resolve("import/acme/mine"));
        Path theirs = fixture.copyTo(dir.resolve("import/other/theirs"));
        Path outside = fixture.copyTo(dir.resolve("elsewhere/t"));
        Files.createSymbolicLink(dir.resolve("import/acme/link"), outside);
        Files.createDirectories(dir.resolve("import/acme/empty"));
        try (LakeshardServer server = start(""); LakeshardClient client = client(server, KEY)) {
            assertRefused(client, theirs.toString(), Status.Code.PERMISSION_DENIED, "location:");
            assertRefused(client, mine + "/../../other/theirs", Status.Code.PERMISSION_DENIED, "location:");
            assertRefused(client, dir.resolve("import/acme/link").toString(), Status.Code.PERMISSION_DENIED, "location:");
            assertRefused(client, outside.toString(), Status.Code.PERMISSION_DENIED, "location:");
            assertRefused(client, dir.resolve("import/acme/empty").toString(), Status.Code.INVALID_ARGUMENT, "no Delta table");

            LakeshardException otherSchema = assertThrows(LakeshardException.class, () -> client.adopt(RegisterDatasetRequest.newBuilder()
                    .setName("spark.t.mine").setLocation(mine.toString())
                    .setArrowSchema(ArrowIpc.schema(new Schema(List.of(Field.nullable("id", new ArrowType.Int(64, true)))), client.allocator()))
                    .build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, otherSchema.code());
            assertTrue(otherSchema.getMessage().contains("differ from the ones given"), otherSchema.getMessage());
            LakeshardException eventTime = assertThrows(LakeshardException.class, () -> client.adopt(RegisterDatasetRequest.newBuilder()
                    .setName("spark.t.mine").setLocation(mine.toString()).setEventTimeColumn("day").build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, eventTime.code());

            Schema ordersSchema = new Schema(List.of(Field.nullable("id", new ArrowType.Int(64, true)),
                    Field.nullable("region", ArrowType.Utf8.INSTANCE), Field.nullable("amount", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
                    Field.nullable("day", new ArrowType.Date(DateUnit.DAY)), Field.nullable("note", ArrowType.Utf8.INSTANCE)));
            Dataset adopted = client.adopt(RegisterDatasetRequest.newBuilder().setName("spark.t.mine").setLocation(mine.toString())
                    .setArrowSchema(ArrowIpc.schema(ordersSchema, client.allocator())).addPartitionColumns("region").build());
            assertTrue(adopted.getCreated(), "the table's own schema and partitions, given, are accepted");
            LakeshardException twice = assertThrows(LakeshardException.class, () -> client.adopt("spark.t.again", mine.toString()));
            assertEquals(Status.Code.ALREADY_EXISTS, twice.code(), "one table, one writer");
            assertTrue(twice.getMessage().contains("spark.t.mine"), twice.getMessage());
            try (LakeshardClient other = client(server, OTHER_KEY)) {
                assertEquals(Status.Code.NOT_FOUND, assertThrows(LakeshardException.class, () -> other.dataset("spark.t.mine")).code());
                assertTrue(other.adopt("spark.t.theirs", theirs.toString()).getCreated(), "the other tenant adopts from its own directory");
            }
            assertEquals(adopted.getLocation(), client.dataset("spark.t.mine").getLocation());
        }
    }

    @Test
    void adoptsATableInAnS3Bucket() throws Exception {
        SparkFixture deleted = SparkFixture.load("deletion_vectors");
        SparkFixture plain = SparkFixture.load("checkpointed");
        try (S3TestServer s3 = S3TestServer.start(dir.resolve("s3"))) {
            String bucket = s3.createBucket();
            Configuration conf = new Configuration(false);
            S3Settings.defaults().forEach(conf::set);
            s3.hadoopSettings().forEach(conf::set);
            try (FileSystem fs = FileSystem.newInstance(URI.create("s3a://" + bucket + "/"), conf)) {
                upload(fs, deleted.table(), "s3a://" + bucket + "/import/acme/dv/");
                upload(fs, plain.table(), "s3a://" + bucket + "/import/acme/plain/");
            }
            try (LakeshardServer server = TestServers.start(dir.resolve("server"), TestServers.onS3(bucket, s3.endpoint()) + """
                    lakeshard.server.api-keys = [{ tenant = "acme", sha256 = "%s", admin = true }]
                    lakeshard.imports.roots = ["s3a://%s/import/"]
                    """.formatted(ApiKeys.sha256(KEY), bucket));
                    LakeshardClient client = client(server, KEY)) {
                Dataset dv = client.adopt("s3.spark.dv", "s3a://" + bucket + "/import/acme/dv");
                assertEquals(DV_REASON, dv.getReadOnlyReason());
                assertEquals(deleted.expectedRows(), rows(client, "SELECT * FROM s3.spark.dv ORDER BY id"),
                        "deletion vectors read from the bucket");
                assertReadOnly(() -> client.optimize("s3.spark.dv"));

                Dataset orders = client.adopt("s3.spark.orders", "s3a://" + bucket + "/import/acme/plain/");
                assertFalse(orders.getReadOnly());
                List<Map<String, Object>> added = List.of(row("id", 1000L, "region", "eu", "amount", 1.0, "day", LocalDate.of(2024, 3, 1),
                        "note", "from lakeshard"));
                write(client, "s3.spark.orders", client.schema(orders), added);
                List<Map<String, Object>> expected = new ArrayList<>(plain.expectedRows());
                expected.add(canonical(added.get(0)));
                assertEquals(expected, rows(client, "SELECT * FROM s3.spark.orders ORDER BY id"), "committed to the bucket");
            }
        }
    }

    private LakeshardServer start(String settings) throws Exception {
        return TestServers.start(dir.resolve("server"), settings + """
                lakeshard.server.api-keys = [
                  { tenant = "acme", sha256 = "%s", admin = true },
                  { tenant = "other", sha256 = "%s" }
                ]
                lakeshard.imports.roots = ["%s"]
                """.formatted(ApiKeys.sha256(KEY), ApiKeys.sha256(OTHER_KEY), dir.resolve("import")));
    }

    private static LakeshardClient client(LakeshardServer server, String key) {
        return LakeshardClient.connect("127.0.0.1", server.port(), key);
    }

    private static void upload(FileSystem fs, Path table, String target) throws Exception {
        try (Stream<Path> files = Files.walk(table)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                try (OutputStream out = fs.create(new org.apache.hadoop.fs.Path(target + table.relativize(file)))) {
                    Files.copy(file, out);
                }
            }
        }
    }

    /** The version of a {@code _delta_log/} entry; {@code _last_checkpoint} counts as the latest. */
    private static long logVersion(String relative) {
        String name = relative.substring("_delta_log/".length());
        return name.matches("\\d{20}\\..*") ? Long.parseLong(name.substring(0, 20)) : Long.MAX_VALUE;
    }

    private static boolean isEmpty(Path directory) {
        if (!Files.exists(directory)) {
            return true;
        }
        try (Stream<Path> files = Files.walk(directory)) {
            return files.noneMatch(Files::isRegularFile);
        } catch (IOException e) {
            return false;
        }
    }

    private static void assertReadOnly(Executable change) {
        LakeshardException refused = assertThrows(LakeshardException.class, change);
        assertEquals(Status.Code.FAILED_PRECONDITION, refused.code(), refused.getMessage());
        assertTrue(refused.getMessage().contains(DV_REASON), refused.getMessage());
    }

    private static void assertRefused(LakeshardClient client, String location, Status.Code code, String message) {
        LakeshardException refused = assertThrows(LakeshardException.class, () -> client.adopt("spark.t.refused", location));
        assertEquals(code, refused.code(), refused.getMessage());
        assertTrue(refused.getMessage().contains(message), refused.getMessage());
    }

    private static List<Map<String, Object>> rows(LakeshardClient client, String sql) {
        try (QueryResults results = client.query(sql)) {
            return SparkFixture.rows(results);
        }
    }

    private static long count(LakeshardClient client, String dataset, String where) {
        try (QueryResults results = client.query("SELECT count(*) FROM " + dataset + " WHERE " + where)) {
            results.next();
            return ((Number) results.batch().getVector(0).getObject(0)).longValue();
        }
    }

    private static Map<String, Object> row(Object... namesAndValues) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            row.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return row;
    }

    /** A row as it was written, in {@link SparkFixture}'s canonical form. */
    private static Map<String, Object> canonical(Map<String, Object> row) {
        Map<String, Object> canonical = new LinkedHashMap<>();
        row.forEach((name, value) -> canonical.put(name, canonicalValue(value)));
        return canonical;
    }

    @SuppressWarnings("unchecked")
    private static Object canonicalValue(Object value) {
        if (value instanceof Map<?, ?> struct) {
            return canonical((Map<String, Object>) struct);
        }
        if (value instanceof Number number) {
            return new BigDecimal(number.toString()).stripTrailingZeros();
        }
        return value == null ? null : value.toString();
    }

    /** Writes rows of scalar and struct columns as one batch under a fresh key. */
    private static void write(LakeshardClient client, String dataset, Schema schema, List<Map<String, Object>> rows) {
        try (BufferAllocator allocator = new RootAllocator(); VectorSchemaRoot batch = VectorSchemaRoot.create(schema, allocator)) {
            for (int i = 0; i < rows.size(); i++) {
                for (FieldVector vector : batch.getFieldVectors()) {
                    set(vector, i, rows.get(i).get(vector.getName()));
                }
            }
            batch.setRowCount(rows.size());
            client.write(dataset, batch, "adopt-test-" + dataset, 0);
        }
    }

    @SuppressWarnings("unchecked")
    private static void set(FieldVector vector, int index, Object value) {
        if (value == null) {
            vector.setNull(index);
        } else if (vector instanceof StructVector struct) {
            struct.setIndexDefined(index);
            for (FieldVector child : struct.getChildrenFromFields()) {
                set(child, index, ((Map<String, Object>) value).get(child.getName()));
            }
        } else if (vector instanceof BigIntVector longs) {
            longs.setSafe(index, (Long) value);
        } else if (vector instanceof IntVector ints) {
            ints.setSafe(index, (Integer) value);
        } else if (vector instanceof Float8Vector doubles) {
            doubles.setSafe(index, (Double) value);
        } else if (vector instanceof DateDayVector dates) {
            dates.setSafe(index, (int) ((LocalDate) value).toEpochDay());
        } else {
            ((VarCharVector) vector).setSafe(index, value.toString().getBytes(StandardCharsets.UTF_8));
        }
    }
}
