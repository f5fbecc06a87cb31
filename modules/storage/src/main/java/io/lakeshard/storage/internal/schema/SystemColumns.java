package io.lakeshard.storage.internal.schema;

import java.util.List;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;

/**
 * Columns Lakeshard adds to every dataset. The partition date is always the first partition column, so
 * retention can drop whole days without reading data.
 */
public final class SystemColumns {
    public static final String RESERVED_PREFIX = "_ls_";
    public static final String INGEST_TIME = "_ls_ingest_time";
    public static final String PARTITION_DATE = "_ls_partition_date";
    public static final String BATCH_ID = "_ls_batch_id";

    public static final List<Field> FIELDS = List.of(
            new Field(INGEST_TIME, FieldType.notNullable(new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")), null),
            new Field(PARTITION_DATE, FieldType.notNullable(new ArrowType.Date(DateUnit.DAY)), null),
            new Field(BATCH_ID, FieldType.notNullable(ArrowType.Utf8.INSTANCE), null));

    private SystemColumns() {}

    public static boolean isReserved(String columnName) {
        return columnName.startsWith(RESERVED_PREFIX);
    }
}
