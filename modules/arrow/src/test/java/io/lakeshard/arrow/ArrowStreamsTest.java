package io.lakeshard.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.MapVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.apache.arrow.vector.complex.impl.UnionMapWriter;
import org.apache.arrow.vector.complex.writer.BaseWriter.StructWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ArrowStreamsTest {
    private static final Field ID = new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null);
    private static final Field NAME = new Field("name", FieldType.nullable(ArrowType.Utf8.INSTANCE), null);
    private static final Field TAGS = new Field("tags", FieldType.nullable(ArrowType.List.INSTANCE),
            List.of(new Field("element", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
    private static final Field RESOURCE = new Field("resource", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(
            new Field("host", FieldType.nullable(ArrowType.Utf8.INSTANCE), null),
            new Field("started", FieldType.nullable(new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")), null)));
    private static final Field ATTRIBUTES = new Field("attributes", FieldType.nullable(new ArrowType.Map(false)), List.of(
            new Field("entries", FieldType.notNullable(ArrowType.Struct.INSTANCE), List.of(
                    new Field("key", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null),
                    new Field("value", FieldType.nullable(new ArrowType.Int(64, true)), null)))));
    private static final Schema SCHEMA = new Schema(List.of(ID, NAME, TAGS, RESOURCE, ATTRIBUTES));

    private final BufferAllocator allocator = new RootAllocator();

    @AfterEach
    void close() {
        allocator.close();
    }

    @Test
    void schemaRoundTripsWithNestedFields() throws IOException {
        byte[] bytes = ArrowStreams.write(SCHEMA, allocator);

        assertEquals(SCHEMA, ArrowStreams.readSchema(new ByteArrayInputStream(bytes), allocator));
        try (VectorSchemaRoot empty = ArrowStreams.readAll(new ByteArrayInputStream(bytes), allocator)) {
            assertEquals(SCHEMA, empty.getSchema());
            assertEquals(0, empty.getRowCount());
        }
    }

    @Test
    void batchRoundTripsWithNestedValues() throws IOException {
        try (VectorSchemaRoot batch = batch(0, 3)) {
            byte[] bytes = ArrowStreams.write(batch);

            try (VectorSchemaRoot read = ArrowStreams.readAll(new ByteArrayInputStream(bytes), allocator)) {
                assertEquals(SCHEMA, read.getSchema());
                assertEquals(batch.contentToTSVString(), read.contentToTSVString());
            }
        }
    }

    @Test
    void severalBatchesAreReadAsOne() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (VectorSchemaRoot root = batch(0, 2); VectorSchemaRoot second = batch(2, 3);
                ArrowStreamWriter writer = new ArrowStreamWriter(root, null, out)) {
            writer.start();
            writer.writeBatch();
            try (ArrowRecordBatch next = new VectorUnloader(second).getRecordBatch()) {
                new VectorLoader(root).load(next);
            }
            writer.writeBatch();
            writer.end();
        }

        try (VectorSchemaRoot whole = batch(0, 5);
                VectorSchemaRoot read = ArrowStreams.readAll(new ByteArrayInputStream(out.toByteArray()), allocator)) {
            assertEquals(5, read.getRowCount());
            assertEquals(whole.contentToTSVString(), read.contentToTSVString());
        }
    }

    @Test
    void aMalformedStreamIsAnIOException() {
        byte[] garbage = "not an arrow stream".getBytes(StandardCharsets.UTF_8);

        assertThrows(IOException.class, () -> ArrowStreams.readSchema(new ByteArrayInputStream(garbage), allocator));
        assertThrows(IOException.class, () -> ArrowStreams.readAll(new ByteArrayInputStream(garbage), allocator));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pandas-uncompressed", "pandas-lz4", "pandas-zstd"})
    void pyarrowStreamsAreReadDecompressedWithDictionariesDecoded(String name) throws IOException {
        try (VectorSchemaRoot read = ArrowStreams.readAll(pyarrow(name), allocator)) {
            Schema schema = read.getSchema();
            assertEquals(ArrowType.Utf8.INSTANCE, schema.findField("name").getType());
            assertNull(schema.findField("name").getDictionary());
            assertEquals(ArrowType.LargeUtf8.INSTANCE, schema.findField("body").getType());
            assertEquals(new ArrowType.Timestamp(TimeUnit.NANOSECOND, "Etc/UTC"), schema.findField("at").getType());
            assertEquals(5, read.getRowCount());
            // The second batch came with its own dictionary, replacing the first.
            List<Object> names = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                names.add(read.getVector("name").getObject(i) == null ? null : read.getVector("name").getObject(i).toString());
            }
            assertEquals(Arrays.asList("a", "b", "a", "c", null), names);
            assertEquals("body-4", read.getVector("body").getObject(4).toString());
            assertEquals(1_700_000_000_000_004_000L, ((TimeStampVector) read.getVector("at")).get(4));
        }
    }

    @Test
    void aSchemaWithADictionaryEncodedColumnReadsAsItsValueType() throws IOException {
        Schema schema = ArrowStreams.readSchema(pyarrow("pandas-zstd"), allocator);

        assertEquals(new Field("name", FieldType.nullable(ArrowType.Utf8.INSTANCE), null), schema.findField("name"));
    }

    @Test
    void pyarrowViewTypesAreRead() throws IOException {
        try (VectorSchemaRoot read = ArrowStreams.readAll(pyarrow("views"), allocator)) {
            assertEquals(ArrowType.Utf8View.INSTANCE, read.getSchema().findField("s").getType());
            assertEquals("a string longer than twelve bytes", read.getVector("s").getObject(2).toString());
            assertTrue(read.getVector("s").isNull(1));
            assertArrayEquals("a binary value longer than twelve".getBytes(StandardCharsets.UTF_8),
                    (byte[]) read.getVector("b").getObject(1));
        }
    }

    private static InputStream pyarrow(String name) {
        return ArrowStreamsTest.class.getResourceAsStream("/pyarrow/" + name + ".arrows");
    }

    /** Rows {@code from .. from+count-1}; row i has i tags, and every third row has null name and resource. */
    private VectorSchemaRoot batch(int from, int count) {
        VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
        root.allocateNew();
        BigIntVector id = (BigIntVector) root.getVector("id");
        VarCharVector name = (VarCharVector) root.getVector("name");
        UnionListWriter tags = ((ListVector) root.getVector("tags")).getWriter();
        StructVector resource = (StructVector) root.getVector("resource");
        StructWriter resourceWriter = resource.getWriter();
        UnionMapWriter attributes = ((MapVector) root.getVector("attributes")).getWriter();
        for (int r = 0; r < count; r++) {
            int i = from + r;
            id.setSafe(r, i);
            tags.setPosition(r);
            tags.startList();
            for (int t = 0; t < i; t++) {
                byte[] tag = ("tag-" + t).getBytes(StandardCharsets.UTF_8);
                try (var buffer = allocator.buffer(tag.length)) {
                    buffer.setBytes(0, tag);
                    tags.varChar().writeVarChar(0, tag.length, buffer);
                }
            }
            tags.endList();
            attributes.setPosition(r);
            attributes.startMap();
            attributes.startEntry();
            byte[] key = ("k" + i).getBytes(StandardCharsets.UTF_8);
            try (var buffer = allocator.buffer(key.length)) {
                buffer.setBytes(0, key);
                attributes.key().varChar().writeVarChar(0, key.length, buffer);
            }
            attributes.value().bigInt().writeBigInt(i * 10L);
            attributes.endEntry();
            attributes.endMap();
            if (i % 3 == 0) {
                name.setNull(r);
                resource.setNull(r);
            } else {
                name.setSafe(r, ("span-" + i).getBytes(StandardCharsets.UTF_8));
                resourceWriter.setPosition(r);
                resourceWriter.start();
                byte[] host = ("host-" + i).getBytes(StandardCharsets.UTF_8);
                try (var buffer = allocator.buffer(host.length)) {
                    buffer.setBytes(0, host);
                    resourceWriter.varChar("host").writeVarChar(0, host.length, buffer);
                }
                resourceWriter.timeStampMicroTZ("started", "UTC").writeTimeStampMicroTZ(1_000_000L * i);
                resourceWriter.end();
            }
        }
        root.setRowCount(count);
        return root;
    }
}
