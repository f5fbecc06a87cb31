package io.lakeshard.query.engine;

import static java.util.Objects.requireNonNull;

import java.util.List;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * What a statement returns and takes, known before it runs: for protocols that announce a result's schema before
 * streaming it (Flight SQL) and that bind parameters by type.
 *
 * @param parameters the type of each {@code ?} in order; {@link ArrowType.Utf8} where DuckDB cannot tell
 */
public record StatementShape(Schema schema, List<ArrowType> parameters) {
    public StatementShape {
        requireNonNull(schema, "schema is null");
        parameters = List.copyOf(requireNonNull(parameters, "parameters is null"));
    }
}
