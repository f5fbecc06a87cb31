package io.lakeshard.client.cli;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/** Text rows as an Arrow batch, so listings print like query results. */
final class Rows {
    private Rows() {}

    static VectorSchemaRoot of(BufferAllocator allocator, List<String> columns, List<List<String>> rows) {
        Schema schema = new Schema(columns.stream().map(c -> new Field(c, FieldType.nullable(ArrowType.Utf8.INSTANCE), null)).toList());
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        root.allocateNew();
        for (int r = 0; r < rows.size(); r++) {
            for (int c = 0; c < columns.size(); c++) {
                ((VarCharVector) root.getVector(c)).setSafe(r, rows.get(r).get(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        root.setRowCount(rows.size());
        return root;
    }
}
