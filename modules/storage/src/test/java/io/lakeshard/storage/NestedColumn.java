package io.lakeshard.storage;

import static io.lakeshard.storage.AllTypes.utf8;

import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.MapVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A struct column {@code ev} with a struct at every depth: {@code ev.x}, {@code ev.tags[i].k} (a list of structs) and
 * {@code ev.attrs[key].v} (a map with struct values), for tables that add it by schema evolution.
 */
public final class NestedColumn {
    public static final Field EV = new Field("ev", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(
            nullable("x", new ArrowType.Int(64, true)),
            new Field("tags", FieldType.nullable(ArrowType.List.INSTANCE), List.of(
                    new Field("element", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(
                            nullable("k", ArrowType.Utf8.INSTANCE))))),
            new Field("attrs", FieldType.nullable(new ArrowType.Map(false)), List.of(
                    new Field("entries", FieldType.notNullable(ArrowType.Struct.INSTANCE), List.of(
                            new Field("key", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null),
                            new Field("value", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(
                                    nullable("v", new ArrowType.Int(64, true))))))))));

    public static final Field ID = new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null);

    /** The table's columns before evolution. */
    public static final Schema BEFORE = new Schema(List.of(ID));

    /** The table's columns after {@link #EV} was added. */
    public static final Schema AFTER = new Schema(List.of(ID, EV));

    private NestedColumn() {}

    private static Field nullable(String name, ArrowType type) {
        return new Field(name, FieldType.nullable(type), null);
    }

    /** One row of {@link #BEFORE}: the table as it was before {@link #EV} was added. */
    public static VectorSchemaRoot before(BufferAllocator allocator, long id) {
        VectorSchemaRoot root = VectorSchemaRoot.create(BEFORE, allocator);
        root.allocateNew();
        ((BigIntVector) root.getVector("id")).setSafe(0, id);
        root.setRowCount(1);
        return root;
    }

    /** Rows of {@link #AFTER} for ids {@code first ..}: ev.x = id * 1000, tags [{k: "t<id>"}], attrs {"a": {v: id}}; ev is null for id 0. */
    public static VectorSchemaRoot batch(BufferAllocator allocator, long first, int count) {
        VectorSchemaRoot root = VectorSchemaRoot.create(AFTER, allocator);
        root.allocateNew();
        StructVector ev = (StructVector) root.getVector("ev");
        BigIntVector x = (BigIntVector) ev.getChild("x");
        ListVector tags = (ListVector) ev.getChild("tags");
        StructVector tag = (StructVector) tags.getDataVector();
        MapVector attrs = (MapVector) ev.getChild("attrs");
        StructVector entries = (StructVector) attrs.getDataVector();
        StructVector value = (StructVector) entries.getChild("value");
        for (int r = 0; r < count; r++) {
            long id = first + r;
            ((BigIntVector) root.getVector("id")).setSafe(r, id);
            if (id == 0) {
                ev.setNull(r);
                continue;
            }
            ev.setIndexDefined(r);
            x.setSafe(r, id * 1000);
            int tagAt = tags.startNewValue(r);
            tag.setIndexDefined(tagAt);
            ((VarCharVector) tag.getChild("k")).setSafe(tagAt, utf8("t" + id));
            tags.endValue(r, 1);
            int entryAt = attrs.startNewValue(r);
            entries.setIndexDefined(entryAt);
            ((VarCharVector) entries.getChild("key")).setSafe(entryAt, utf8("a"));
            value.setIndexDefined(entryAt);
            ((BigIntVector) value.getChild("v")).setSafe(entryAt, id);
            attrs.endValue(r, 1);
        }
        root.setRowCount(count);
        return root;
    }
}
