package io.lakeshard.flight;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

class SqlParametersTest {
    @Test
    void placeholdersInsideLiteralsIdentifiersAndCommentsAreNotParameters() {
        String sql = "SELECT ? AS \"what?\", 'who?' -- why?\n, /* ? */ ?";
        assertEquals(List.of(sql.indexOf('?'), sql.length() - 1), SqlParameters.placeholders(sql));
    }

    @Test
    void textIsBoundWithItsQuotesDoubled() {
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot root = VectorSchemaRoot.create(new Schema(List.of(
                        Field.nullable("$1", new ArrowType.Int(64, true)), Field.nullable("$2", ArrowType.Utf8.INSTANCE))), allocator)) {
            ((BigIntVector) root.getVector(0)).setSafe(0, 42);
            ((VarCharVector) root.getVector(1)).setSafe(0, "x'); DROP TABLE t; --".getBytes(StandardCharsets.UTF_8));
            root.setRowCount(1);
            assertEquals("SELECT CAST(42 AS BIGINT), 'x''); DROP TABLE t; --' FROM t WHERE '?' = '?'",
                    SqlParameters.bind("SELECT ?, ? FROM t WHERE '?' = '?'", root));
        }
    }
}
