package io.lakeshard.query.engine;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.lakeshard.query.sql.AnalyzedStatement;
import io.lakeshard.query.sql.SqlAnalyzer;
import io.lakeshard.query.sql.StatementCache;
import io.lakeshard.query.sql.TableReference;
import io.lakeshard.storage.dataset.TableSchema;
import io.lakeshard.storage.scan.ColumnPredicate;
import io.lakeshard.storage.scan.ScanPlanner.PlannedFile;
import io.lakeshard.storage.stats.FileStats;
import io.lakeshard.storage.stats.StatValues;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Answers {@code SELECT count(*), min(c), max(c), ... FROM one_table [WHERE partition filters]} from the pinned
 * snapshot's file statistics instead of a scan: the log already holds every file's row count, null counts and bounds.
 * Only that shape is recognised, on DuckDB's own parse tree, and only numbers the log holds exactly are used; anything
 * else is left to the scan, which stays the reference answer.
 *
 * <p>The answer is a one-row constant SELECT whose column names come from DuckDB itself (the statement prepared over
 * an empty view of the table), so every door sees the schema the scan would have produced.
 */
final class StatsAnswers {
    private static final Set<String> COMPARISONS = Set.of(
            "COMPARE_EQUAL", "COMPARE_LESSTHAN", "COMPARE_LESSTHANOREQUALTO", "COMPARE_GREATERTHAN", "COMPARE_GREATERTHANOREQUALTO");

    private final Connection connection;
    private final Shapes shapes;

    /** @param shapes what earlier statements were found to be, kept by the engine across queries */
    StatsAnswers(Connection connection, Shapes shapes) {
        this.connection = requireNonNull(connection, "connection is null");
        this.shapes = requireNonNull(shapes, "shapes is null");
    }

    /**
     * What DuckDB said of statements seen before: whether each has the answerable shape, and the names and types of
     * its result over a table schema. Working either out costs DuckDB a parse or a prepare, more than the answer; both
     * depend only on the rewritten text (and the schema), so a repeated count costs neither.
     */
    static final class Shapes {
        private final StatementCache<String, Optional<Shape>> recognized = new StatementCache<>();
        private final StatementCache<ColumnsKey, List<Column>> columns = new StatementCache<>();
    }

    private record Shape(List<Aggregate> aggregates, int filterPredicates) {
        Shape {
            aggregates = List.copyOf(aggregates);
        }
    }

    private record ColumnsKey(String sql, TableSchema schema, boolean namesSystemColumns) {}

    enum Function { COUNT_STAR, COUNT, MIN, MAX }

    /**
     * One item of the select list.
     *
     * @param column the column as the statement names it; empty only for {@code count(*)}
     */
    record Aggregate(Function function, Optional<String> column) {
        Aggregate {
            requireNonNull(function, "function is null");
            requireNonNull(column, "column is null");
            if ((function == Function.COUNT_STAR) != column.isEmpty()) {
                throw new IllegalArgumentException(function + (column.isEmpty() ? " needs a column" : " takes no column"));
            }
        }
    }

    /**
     * A statement of the answerable shape, not yet checked against the table.
     *
     * @param filterPredicates how many predicates its WHERE clause makes when every conjunct is pushed down whole
     */
    record Query(TableReference table, String sql, boolean namesSystemColumns, List<Aggregate> aggregates, int filterPredicates) {
        Query {
            requireNonNull(table, "table is null");
            requireNonNull(sql, "sql is null");
            aggregates = List.copyOf(requireNonNull(aggregates, "aggregates is null"));
            if (aggregates.isEmpty() || filterPredicates < 0) {
                throw new IllegalArgumentException("a query needs aggregates and a non-negative predicate count");
            }
        }
    }

    /** The statement as a query answerable from statistics, or empty when it has any other shape. */
    Optional<Query> recognize(AnalyzedStatement statement) throws SQLException {
        if (statement.tables().size() != 1) {
            return Optional.empty();
        }
        TableReference table = statement.tables().get(0);
        Optional<Shape> shape = shapes.recognized.get(statement.rewrittenSql());
        if (shape == null) {
            shape = shape(table.viewName(), statement.rewrittenSql());
            shapes.recognized.put(statement.rewrittenSql(), statement.rewrittenSql(), shape);
        }
        return shape.map(s -> new Query(table, statement.rewrittenSql(), statement.namesSystemColumns(), s.aggregates(),
                s.filterPredicates()));
    }

    /** What the rewritten statement's own parse tree says: the same for every table it is planned against. */
    private Optional<Shape> shape(String viewName, String rewrittenSql) throws SQLException {
        JsonNode parsed = SqlAnalyzer.serialize(connection, rewrittenSql);
        JsonNode statements = parsed.path("statements");
        if (parsed.path("error").asBoolean() || statements.size() != 1) {
            return Optional.empty();
        }
        JsonNode node = statements.get(0).path("node");
        JsonNode from = node.path("from_table");
        // Anything that changes which rows are aggregated or how many rows come back disqualifies the statement:
        // sampling, grouping, HAVING, QUALIFY, LIMIT/ORDER/DISTINCT, a CTE, renamed columns.
        boolean plain = "SELECT_NODE".equals(node.path("type").asText())
                && emptyList(node.path("modifiers"))
                && emptyList(node.path("cte_map").path("map"))
                && emptyList(node.path("group_expressions"))
                && emptyList(node.path("group_sets"))
                && "STANDARD_HANDLING".equals(node.path("aggregate_handling").asText())
                && node.path("having").isNull()
                && node.path("qualify").isNull()
                && node.path("sample").isNull()
                && "BASE_TABLE".equals(from.path("type").asText())
                && viewName.equals(from.path("table_name").asText())
                && from.path("schema_name").asText().isEmpty()
                && from.path("catalog_name").asText().isEmpty()
                && from.path("sample").isNull()
                && emptyList(from.path("column_name_alias"))
                && node.path("select_list").isArray()
                && !node.path("select_list").isEmpty();
        if (!plain) {
            return Optional.empty();
        }
        String correlation = from.path("alias").asText();
        List<Aggregate> aggregates = new ArrayList<>();
        for (JsonNode item : node.path("select_list")) {
            Optional<Aggregate> aggregate = aggregate(item, correlation);
            if (aggregate.isEmpty()) {
                return Optional.empty();
            }
            aggregates.add(aggregate.get());
        }
        JsonNode where = node.path("where_clause");
        OptionalInt predicates = where.isNull() || where.isMissingNode() ? OptionalInt.of(0) : filterPredicates(where);
        if (predicates.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Shape(aggregates, predicates.getAsInt()));
    }

    /**
     * Whether the statement's filter leaves exactly the rows of the files it prunes to: checked before planning, which
     * costs a pass over every file of the table.
     */
    boolean filtersExactly(Query query, TableSchema schema, List<ColumnPredicate> predicates) {
        // Pruning by partition values is exact, so the pruned files hold exactly the matching rows; a predicate on
        // any other column only narrows the files, and one that was not pushed down is not applied at all.
        return predicates.size() == query.filterPredicates()
                && predicates.stream().allMatch(p -> schema.isPartitionColumn(p.column())
                        && exactPartitionFilter(schema.logicalField(p.column()).getType()));
    }

    /**
     * The constant SELECT that answers the query over these planned files, or empty where the statistics cannot
     * answer it exactly.
     *
     * @param predicates the table reference's pushed predicates as column values
     * @param files the files the scan would read: the snapshot's, pruned by {@code predicates}
     */
    Optional<String> answer(Query query, TableSchema schema, List<ColumnPredicate> predicates, List<PlannedFile> files)
            throws SQLException {
        if (!filtersExactly(query, schema, predicates)) {
            return Optional.empty();
        }
        for (PlannedFile file : files) {
            // A deletion vector's rows are counted in the statistics, and no bound or null count says which they were.
            if (file.file().numRecords() < 0 || file.file().deletionVector().isPresent()) {
                return Optional.empty();
            }
        }
        List<String> values = new ArrayList<>();
        for (Aggregate aggregate : query.aggregates()) {
            Optional<String> value = value(aggregate, schema, files);
            if (value.isEmpty()) {
                return Optional.empty();
            }
            values.add(value.get());
        }
        Optional<List<Column>> columns = resultColumns(query, schema);
        if (columns.isEmpty() || columns.get().size() != values.size()) {
            return Optional.empty();
        }
        List<String> items = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            Column column = columns.get().get(i);
            items.add("CAST(" + values.get(i) + " AS " + column.type() + ") AS " + DuckTypes.quote(column.name()));
        }
        return Optional.of("SELECT " + String.join(", ", items));
    }

    private static Optional<Aggregate> aggregate(JsonNode item, String correlation) {
        if (!"FUNCTION".equals(item.path("class").asText())
                || !item.path("catalog").asText().isEmpty()
                || !item.path("schema").asText().isEmpty()
                || item.path("distinct").asBoolean(true)
                || item.path("is_operator").asBoolean(true)
                || item.path("export_state").asBoolean(true)
                || !item.path("filter").isNull()
                || !emptyList(item.path("order_bys").path("orders"))) {
            return Optional.empty();
        }
        JsonNode arguments = item.path("arguments");
        String name = item.path("function_name").asText().toLowerCase(Locale.ROOT);
        if (name.equals("count_star")) {
            return arguments.isEmpty() ? Optional.of(new Aggregate(Function.COUNT_STAR, Optional.empty())) : Optional.empty();
        }
        if (arguments.size() != 1 || !arguments.get(0).path("name").asText().isEmpty()) {
            return Optional.empty();
        }
        JsonNode argument = arguments.get(0).path("expression");
        Function function = switch (name) {
            case "count" -> Function.COUNT;
            case "min" -> Function.MIN;
            case "max" -> Function.MAX;
            default -> null;
        };
        if (function == null) {
            return Optional.empty();
        }
        if (function == Function.COUNT && isNonNullConstant(argument)) {
            // count(1) counts every row, as count(*) does.
            return Optional.of(new Aggregate(Function.COUNT_STAR, Optional.empty()));
        }
        return SqlAnalyzer.column(argument, correlation).map(column -> new Aggregate(function, Optional.of(column)));
    }

    /** An empty list in the tree; a field this DuckDB version does not write is not taken as empty. */
    private static boolean emptyList(JsonNode node) {
        return node.isArray() && node.isEmpty();
    }

    private static boolean isNonNullConstant(JsonNode expression) {
        return "CONSTANT".equals(expression.path("class").asText())
                && !expression.path("literal").isMissingNode()
                && !"NULL".equals(expression.path("literal").path("kind").asText());
    }

    /**
     * The number of predicates the pushdown makes of a WHERE clause, if it is an AND of column-versus-constant
     * comparisons only. The answer step then requires exactly that many predicates: the pushdown skips what it cannot
     * express (an OR, a NOT, a function of a column), and a skipped conjunct would go unapplied.
     */
    private static OptionalInt filterPredicates(JsonNode expression) {
        String kind = expression.path("class").asText();
        String type = expression.path("type").asText();
        if ("CONJUNCTION".equals(kind) && "CONJUNCTION_AND".equals(type)) {
            int count = 0;
            for (JsonNode child : expression.path("children")) {
                OptionalInt part = filterPredicates(child);
                if (part.isEmpty()) {
                    return part;
                }
                count += part.getAsInt();
            }
            return OptionalInt.of(count);
        }
        if ("COMPARISON".equals(kind) && COMPARISONS.contains(type)) {
            return OptionalInt.of(1);
        }
        if ("BETWEEN".equals(kind)) {
            return OptionalInt.of(2);
        }
        if ("OPERATOR".equals(kind) && Set.of("OPERATOR_IS_NULL", "OPERATOR_IS_NOT_NULL", "COMPARE_IN").contains(type)) {
            return OptionalInt.of(1);
        }
        return OptionalInt.empty();
    }

    /**
     * Partition types whose values compare in Java exactly as DuckDB compares them against the literal. Timestamps
     * (a literal finer than microseconds), floats and decimals (literals of another scale) are left to the scan.
     */
    private static boolean exactPartitionFilter(ArrowType type) {
        return isSignedInt(type) || isDay(type) || isString(type) || type.getTypeID() == ArrowType.ArrowTypeID.Bool;
    }

    /** One aggregate's value as a SQL literal ({@code NULL} included), or empty if the statistics cannot give it. */
    private static Optional<String> value(Aggregate aggregate, TableSchema schema, List<PlannedFile> files) {
        if (aggregate.function() == Function.COUNT_STAR) {
            return Optional.of(Long.toString(files.stream().mapToLong(f -> f.file().numRecords()).sum()));
        }
        Optional<Field> found = field(schema, aggregate.column().orElseThrow());
        if (found.isEmpty() || !found.get().getChildren().isEmpty()) {
            return Optional.empty();
        }
        Field field = found.get();
        boolean partition = schema.isPartitionColumn(field.getName());
        if (aggregate.function() == Function.COUNT) {
            long count = 0;
            for (PlannedFile file : files) {
                long rows = file.file().numRecords();
                if (partition) {
                    count += file.partitionValues().get(field.getName()) == null ? 0 : rows;
                    continue;
                }
                long nulls = file.file().stats().column(field.getName()).map(FileStats.ColumnStats::nullCount).orElse(-1L);
                if (nulls < 0 || nulls > rows) {
                    return Optional.empty();
                }
                count += rows - nulls;
            }
            return Optional.of(Long.toString(count));
        }
        boolean max = aggregate.function() == Function.MAX;
        Comparable<?> best = null;
        if (partition) {
            // Partition values are in the log whole, so any orderable type's are exact; strings are not truncated.
            if (!isSignedInt(field.getType()) && !isDay(field.getType()) && !isString(field.getType())) {
                return Optional.empty();
            }
            for (PlannedFile file : files) {
                Comparable<?> value = file.partitionValues().get(field.getName());
                if (file.file().numRecords() > 0 && value != null) {
                    best = better(best, value, max);
                }
            }
            return literal(field.getType(), best);
        }
        if (!exactBounds(field.getType())) {
            return Optional.empty();
        }
        for (PlannedFile file : files) {
            long rows = file.file().numRecords();
            if (rows == 0) {
                continue;
            }
            Optional<FileStats.ColumnStats> stats = file.file().stats().column(field.getName());
            if (stats.isEmpty() || stats.get().nullCount() < 0) {
                return Optional.empty();
            }
            if (stats.get().nullCount() == rows) {
                // min and max skip nulls: an all-null file adds nothing, and all-null files everywhere make NULL.
                continue;
            }
            Comparable<?> bound = max ? stats.get().max() : stats.get().min();
            if (bound == null) {
                return Optional.empty();
            }
            best = better(best, bound, max);
        }
        return literal(field.getType(), best);
    }

    /**
     * Data-column types whose Delta bounds are the exact minimum and maximum. Strings are cut to a prefix, timestamps
     * widened to the millisecond (exact only if every value is whole milliseconds, which the log cannot show), floats
     * have NaN and signed zeros that writers treat differently; decimals are read back through a double, exact only
     * to 15 digits.
     */
    private static boolean exactBounds(ArrowType type) {
        return isSignedInt(type) || isDay(type) || (type instanceof ArrowType.Decimal decimal && decimal.getPrecision() <= 15);
    }

    private static Comparable<?> better(Comparable<?> best, Comparable<?> candidate, boolean max) {
        if (best == null) {
            return candidate;
        }
        int order = StatValues.compare(candidate, best);
        return (max ? order > 0 : order < 0) ? candidate : best;
    }

    /** A value as a SQL literal to cast to the column's type; empty where the text could be read otherwise. */
    private static Optional<String> literal(ArrowType type, Comparable<?> value) {
        if (value == null) {
            return Optional.of("NULL");
        }
        if (isSignedInt(type)) {
            return Optional.of(value.toString());
        }
        if (isDay(type)) {
            LocalDate day = LocalDate.ofEpochDay((Long) value);
            // DuckDB writes years before 1 as "(BC)" and has no five-digit years in this form.
            return day.getYear() >= 1 && day.getYear() <= 9999 ? Optional.of(DuckTypes.string(day.toString())) : Optional.empty();
        }
        if (type instanceof ArrowType.Decimal decimal && value instanceof BigDecimal number) {
            // A bound read back through a double with more places or digits than the column has was not what was
            // written: leave it to the scan rather than round it.
            try {
                BigDecimal exact = number.setScale(decimal.getScale(), RoundingMode.UNNECESSARY);
                return exact.precision() <= decimal.getPrecision() ? Optional.of(DuckTypes.string(exact.toPlainString())) : Optional.empty();
            } catch (ArithmeticException e) {
                return Optional.empty();
            }
        }
        if (isString(type) && value instanceof String text && text.indexOf('\0') < 0) {
            return Optional.of(DuckTypes.string(text));
        }
        return Optional.empty();
    }

    private static boolean isSignedInt(ArrowType type) {
        return type instanceof ArrowType.Int integer && integer.getIsSigned();
    }

    private static boolean isDay(ArrowType type) {
        return type instanceof ArrowType.Date date && date.getUnit() == DateUnit.DAY;
    }

    private static boolean isString(ArrowType type) {
        return type.getTypeID() == ArrowType.ArrowTypeID.Utf8 || type.getTypeID() == ArrowType.ArrowTypeID.LargeUtf8;
    }

    /** The table's column a statement names, matched as DuckDB binds it: regardless of case. */
    private static Optional<Field> field(TableSchema schema, String name) {
        List<Field> matches = schema.logical().getFields().stream().filter(f -> f.getName().equalsIgnoreCase(name)).toList();
        return matches.size() == 1 ? Optional.of(matches.get(0)) : Optional.empty();
    }

    private record Column(String name, String type) {
        Column {
            requireNonNull(name, "name is null");
            requireNonNull(type, "type is null");
        }
    }

    /**
     * The names and types DuckDB gives the statement's result: the statement prepared, not run, over an empty view
     * of the table with the scan's column types. The view is dropped again, so a fallback to the scan can create it.
     */
    private Optional<List<Column>> resultColumns(Query query, TableSchema schema) throws SQLException {
        ColumnsKey key = new ColumnsKey(query.sql(), schema, query.namesSystemColumns());
        List<Column> known = shapes.columns.get(key);
        if (known != null) {
            return Optional.of(known);
        }
        Optional<List<Column>> columns = preparedColumns(query, schema);
        columns.ifPresent(found -> shapes.columns.put(query.sql(), key, List.copyOf(found)));
        return columns;
    }

    private Optional<List<Column>> preparedColumns(Query query, TableSchema schema) throws SQLException {
        String view = DuckTypes.quote(query.table().viewName());
        try (Statement ddl = connection.createStatement()) {
            ddl.execute("CREATE TEMP VIEW " + view + " AS "
                    + ViewBuilder.select(schema, List.of(), file -> null, file -> null, file -> null, query.namesSystemColumns()));
            try (PreparedStatement prepared = connection.prepareStatement(query.sql())) {
                ResultSetMetaData metadata = prepared.getMetaData();
                List<Column> columns = new ArrayList<>();
                for (int i = 1; i <= metadata.getColumnCount(); i++) {
                    columns.add(new Column(metadata.getColumnLabel(i), metadata.getColumnTypeName(i)));
                }
                return Optional.of(columns);
            } catch (SQLException e) {
                // The scan reports the statement's own error, with DuckDB's message.
                return Optional.empty();
            } finally {
                ddl.execute("DROP VIEW " + view);
            }
        }
    }
}
