package io.lakeshard.arrow;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.dictionary.DictionaryEncoder;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.TransferPair;
import org.apache.arrow.vector.util.VectorSchemaRootAppender;

/**
 * Arrow IPC streams as schemas and writes travel between client, server and storage: a schema is a stream with no
 * batches, a write is a stream read whole into one batch. Reading throws {@link IOException} for a malformed stream,
 * so each caller decides what a bad stream means to it (bad input at the API, a bug further in).
 */
public final class ArrowStreams {
    private ArrowStreams() {}

    /**
     * All batches of the stream, appended into one; the caller closes it. Buffers compressed with LZ4_FRAME or ZSTD
     * are decompressed when {@code arrow-compression} is on the class path (the server has it, the client does not
     * need it); dictionary-encoded columns come back decoded, as their value type, since each batch of a stream may
     * carry its own dictionary. A dictionary inside a nested column is refused.
     */
    public static VectorSchemaRoot readAll(InputStream stream, BufferAllocator allocator) throws IOException {
        try (ArrowStreamReader reader = new ArrowStreamReader(stream, allocator, CompressionCodec.Factory.INSTANCE)) {
            VectorSchemaRoot encoded = reader.getVectorSchemaRoot();
            VectorSchemaRoot all = VectorSchemaRoot.create(decodedSchema(encoded.getSchema(), reader), allocator);
            try {
                all.allocateNew();
                all.setRowCount(0);
                while (reader.loadNextBatch()) {
                    appendDecoded(all, encoded, reader, allocator);
                }
                return all;
            } catch (IOException | RuntimeException e) {
                all.close();
                throw e;
            }
        }
    }

    /** The column as its dictionary's value type, keeping the column's name and nullability. */
    private static Field decodedField(Field field, DictionaryProvider dictionaries) throws IOException {
        for (Field child : field.getChildren()) {
            requireNoDictionary(field.getName(), child);
        }
        DictionaryEncoding encoding = field.getDictionary();
        if (encoding == null) {
            return field;
        }
        Field values = dictionaries.lookup(encoding.getId()).getVector().getField();
        return new Field(field.getName(), new FieldType(field.isNullable(), values.getType(), null, field.getMetadata()),
                values.getChildren());
    }

    private static void requireNoDictionary(String path, Field field) throws IOException {
        String here = path + "." + field.getName();
        if (field.getDictionary() != null) {
            throw new IOException("column " + here + " is dictionary-encoded inside a nested column, which is not "
                    + "supported; send its values (in pyarrow: cast to the value type)");
        }
        for (Field child : field.getChildren()) {
            requireNoDictionary(here, child);
        }
    }

    /** Appends this batch, its dictionary-encoded columns decoded through the dictionaries it arrived with. */
    private static void appendDecoded(VectorSchemaRoot all, VectorSchemaRoot encoded, DictionaryProvider dictionaries,
            BufferAllocator allocator) {
        List<FieldVector> vectors = new ArrayList<>();
        List<FieldVector> decoded = new ArrayList<>();
        try {
            for (int c = 0; c < encoded.getFieldVectors().size(); c++) {
                FieldVector vector = encoded.getVector(c);
                DictionaryEncoding encoding = vector.getField().getDictionary();
                if (encoding == null) {
                    vectors.add(vector);
                    continue;
                }
                try (ValueVector values = DictionaryEncoder.decode(vector, dictionaries.lookup(encoding.getId()), allocator)) {
                    TransferPair renamed = values.getTransferPair(all.getSchema().getFields().get(c), allocator);
                    renamed.transfer();
                    decoded.add((FieldVector) renamed.getTo());
                    vectors.add((FieldVector) renamed.getTo());
                }
            }
            // Not closed as a root: the plain columns are the reader's.
            VectorSchemaRootAppender.append(all, new VectorSchemaRoot(all.getSchema().getFields(), vectors, encoded.getRowCount()));
        } finally {
            decoded.forEach(FieldVector::close);
        }
    }

    /**
     * The schema at the head of the stream, batches after it not read; a dictionary-encoded column as its value type
     * (pyarrow's schema of a pandas categorical), as {@link #readAll} reads its values.
     */
    public static Schema readSchema(InputStream stream, BufferAllocator allocator) throws IOException {
        try (ArrowStreamReader reader = new ArrowStreamReader(stream, allocator)) {
            return decodedSchema(reader.getVectorSchemaRoot().getSchema(), reader);
        }
    }

    private static Schema decodedSchema(Schema encoded, DictionaryProvider dictionaries) throws IOException {
        List<Field> fields = new ArrayList<>();
        for (Field field : encoded.getFields()) {
            fields.add(decodedField(field, dictionaries));
        }
        return new Schema(fields, encoded.getCustomMetadata());
    }

    /** The batch as a stream of that one batch. */
    public static byte[] write(VectorSchemaRoot batch) {
        return stream(batch, true);
    }

    /** The schema as a stream with no batches. */
    public static byte[] write(Schema schema, BufferAllocator allocator) {
        try (VectorSchemaRoot empty = VectorSchemaRoot.create(schema, allocator)) {
            return stream(empty, false);
        }
    }

    private static byte[] stream(VectorSchemaRoot root, boolean withBatch) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ArrowStreamWriter writer = new ArrowStreamWriter(root, null, Channels.newChannel(out))) {
            writer.start();
            if (withBatch) {
                writer.writeBatch();
            }
            writer.end();
        } catch (IOException e) {
            // A byte array does not fail; this is a writer bug, not bad input.
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
