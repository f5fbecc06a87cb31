package io.lakeshard.server;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.NanoTime;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Parquet files laid out as Spark's writer lays them out, written with parquet-mr as Spark does: timestamps as INT96
 * (Spark's default), decimals in INT64, lists and maps in the three-level form, a struct, optional columns with
 * nulls; Snappy or ZSTD, dictionary or plain pages; a {@code .crc} beside each file from Hadoop's local filesystem.
 * Row {@code i}'s values follow from {@code i}, so a test can check every value with SQL.
 */
final class SparkStyleParquet {
    static final Schema DATASET = new Schema(List.of(
            new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
            Field.nullable("name", ArrowType.Utf8.INSTANCE),
            Field.nullable("ts", new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")),
            Field.nullable("day", new ArrowType.Date(DateUnit.DAY)),
            Field.nullable("price", new ArrowType.Decimal(10, 2, 128)),
            new Field("tags", FieldType.nullable(ArrowType.List.INSTANCE), List.of(Field.nullable("element", ArrowType.Utf8.INSTANCE))),
            new Field("attrs", FieldType.nullable(new ArrowType.Map(false)), List.of(new Field("entries", FieldType.notNullable(ArrowType.Struct.INSTANCE),
                    List.of(new Field("key", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null), Field.nullable("value", ArrowType.Utf8.INSTANCE))))),
            new Field("point", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(
                    Field.nullable("x", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
                    Field.nullable("y", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))))));

    /** What each row must read back as, in DuckDB SQL over a table with these columns. */
    static final String EVERY_VALUE_AS_WRITTEN = "bool_and((name IS NULL) = (id % 10 = 0) AND (name IS NULL OR name = 'name-' || id)"
            + " AND ts = TIMESTAMPTZ '2026-11-20 00:00:00+00' + to_seconds(id) + to_microseconds(id % 1000)"
            + " AND day = DATE '1970-01-01' + (20412 + id % 30)::INTEGER AND price = id * 1.25"
            + " AND (tags IS NULL) = (id % 3 = 0) AND (tags IS NULL OR tags = ['t' || id, 'u' || (id % 7)])"
            + " AND map_keys(attrs) = ['k'] AND map_values(attrs) = ['v' || id] AND point.x = id * 0.5 AND point.y = -id)";

    private static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message spark_schema {
              required int64 id;
              optional binary name (STRING);
              optional int96 ts;
              optional int32 day (DATE);
              optional int64 price (DECIMAL(10,2));
              optional group tags (LIST) {
                repeated group list {
                  optional binary element (STRING);
                }
              }
              optional group attrs (MAP) {
                repeated group key_value {
                  required binary key (STRING);
                  optional binary value (STRING);
                }
              }
              optional group point {
                optional double x;
                optional double y;
              }
            }
            """);
    private static final Instant BASE = Instant.parse("2026-11-20T00:00:00Z");
    private static final long JULIAN_DAY_OF_EPOCH = 2_440_588;
    private static final long NANOS_PER_DAY = 86_400_000_000_000L;

    private SparkStyleParquet() {}

    static void write(Path file, long from, long to, CompressionCodecName codec, boolean dictionary) throws IOException {
        SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new org.apache.hadoop.fs.Path(file.toUri()))
                .withConf(new Configuration()).withType(SCHEMA).withCompressionCodec(codec).withDictionaryEncoding(dictionary)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE).build()) {
            for (long i = from; i < to; i++) {
                Group row = groups.newGroup().append("id", i);
                if (i % 10 != 0) {
                    row.append("name", "name-" + i);
                }
                long nanos = ChronoUnit.NANOS.between(Instant.EPOCH, BASE.plusSeconds(i).plus(i % 1000, ChronoUnit.MICROS));
                row.add("ts", new NanoTime((int) (JULIAN_DAY_OF_EPOCH + Math.floorDiv(nanos, NANOS_PER_DAY)), Math.floorMod(nanos, NANOS_PER_DAY)));
                row.append("day", (int) (20412 + i % 30));
                row.append("price", BigDecimal.valueOf(i * 125, 2).unscaledValue().longValueExact());
                if (i % 3 != 0) {
                    Group tags = row.addGroup("tags");
                    tags.addGroup("list").append("element", "t" + i);
                    tags.addGroup("list").append("element", "u" + (i % 7));
                }
                row.addGroup("attrs").addGroup("key_value").append("key", "k").append("value", "v" + i);
                row.addGroup("point").append("x", i * 0.5).append("y", (double) -i);
                writer.write(row);
            }
        }
    }
}
