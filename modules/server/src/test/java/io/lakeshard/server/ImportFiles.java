package io.lakeshard.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/** Parquet files to import, written by DuckDB as another tool would, and the dataset they go into. */
public final class ImportFiles {
    public static final Schema SCHEMA = new Schema(List.of(
            new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
            Field.nullable("region", ArrowType.Utf8.INSTANCE),
            Field.nullable("amount", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
            Field.nullable("happened", new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")),
            Field.nullable("note", ArrowType.Utf8.INSTANCE),
            new Field("attrs", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(
                    Field.nullable("k", ArrowType.Utf8.INSTANCE), Field.nullable("v", new ArrowType.Int(32, true))))));

    private ImportFiles() {}

    /**
     * Rows {@code [from, to)}: id, amount id / 4 (exact in a float), happened one second apart, note, attrs. The
     * casts give each column its type in the file.
     */
    public static void write(Path file, long from, long to, String compression, String id, String amount, String happened, boolean withNote)
            throws SQLException, IOException {
        Files.createDirectories(file.getParent());
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement statement = duck.createStatement()) {
            statement.execute("SET TimeZone = 'UTC'");
            String note = withNote ? ", 'note ' || i AS note" : "";
            statement.execute("COPY (SELECT " + id.replace("id", "i") + " AS id, " + amount.replace("amount", "(i / 4)") + " AS amount, "
                    + happened.replace("happened", "(TIMESTAMPTZ '2026-11-20 00:00:00+00' + to_seconds(i))") + " AS happened" + note
                    + ", {'k': 'k' || i, 'v': (i % 1000)::INTEGER} AS attrs FROM range(" + from + ", " + to + ") t(i)) TO '" + file
                    + "' (FORMAT parquet, COMPRESSION " + compression + ")");
        }
    }

}
