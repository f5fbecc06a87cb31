package io.lakeshard.service.query;

import static java.util.Objects.requireNonNull;

import io.lakeshard.query.Consistency;
import io.lakeshard.query.TimeTravel;
import io.lakeshard.storage.dataset.DatasetName;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A query as a door receives it, before the server gives it an id.
 *
 * @param label a name the client gives the query, returned beside the server's id; need not be unique
 * @param rowLimit empty: the server's default
 * @param timeout empty: the server's default
 */
public record QuerySpec(
        String label,
        String sql,
        Optional<String> defaultCatalog,
        Optional<String> defaultSchema,
        OptionalLong rowLimit,
        Optional<Duration> timeout,
        Consistency consistency,
        Map<DatasetName, TimeTravel> timeTravel) {

    public QuerySpec {
        requireNonNull(label, "label is null");
        requireNonNull(sql, "sql is null");
        requireNonNull(defaultCatalog, "defaultCatalog is null");
        requireNonNull(defaultSchema, "defaultSchema is null");
        requireNonNull(rowLimit, "rowLimit is null");
        requireNonNull(timeout, "timeout is null");
        requireNonNull(consistency, "consistency is null");
        timeTravel = Map.copyOf(requireNonNull(timeTravel, "timeTravel is null"));
    }

    /** Just the statement, with every default. */
    public static QuerySpec of(String sql) {
        return new QuerySpec("", sql, Optional.empty(), Optional.empty(), OptionalLong.empty(), Optional.empty(),
                Consistency.LATEST_LOCAL, Map.of());
    }
}
