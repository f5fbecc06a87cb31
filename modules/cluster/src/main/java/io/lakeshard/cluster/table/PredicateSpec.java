package io.lakeshard.cluster.table;

import io.lakeshard.cluster.CborSerializable;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.dataset.TableSchema;
import io.lakeshard.storage.scan.ColumnPredicate;
import io.lakeshard.storage.stats.StatValues;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * A column predicate that can cross the network: values in the Delta log's string form for the column's type, so
 * they arrive exact (a timestamp stays microseconds, a decimal keeps its scale).
 */
public record PredicateSpec(String column, ColumnPredicate.Op op, List<String> values) implements CborSerializable {

    public static PredicateSpec of(ColumnPredicate predicate, TableSchema schema) {
        ArrowType type = field(schema, predicate.column()).getType();
        List<String> values = new ArrayList<>();
        for (Object value : predicate.values()) {
            values.add(StatValues.toPartitionString(type, StatValues.normalize(type, value)));
        }
        return new PredicateSpec(predicate.column(), predicate.op(), values);
    }

    public ColumnPredicate toPredicate(TableSchema schema) {
        ArrowType type = field(schema, column).getType();
        List<Object> typed = new ArrayList<>();
        for (String value : values) {
            typed.add(StatValues.fromPartitionString(type, value));
        }
        return new ColumnPredicate(column, op, typed);
    }

    private static Field field(TableSchema schema, String column) {
        Field field = schema.logicalField(column);
        if (field == null) {
            throw new InvalidInputException("where", "no column '" + column + "'");
        }
        return field;
    }
}
