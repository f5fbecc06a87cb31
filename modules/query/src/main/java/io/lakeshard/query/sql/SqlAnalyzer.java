package io.lakeshard.query.sql;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lakeshard.query.QueryRejectedException;
import io.lakeshard.query.UnknownTableException;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.dataset.TableSchema;
import io.lakeshard.storage.scan.ColumnPredicate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Checks a statement against the sandbox on DuckDB's own parse tree ({@code json_serialize_sql}), not on its text:
 * one SELECT (WITH and VALUES included; DuckDB serialises nothing else), no table functions, no functions that read
 * the environment, and every table a dataset of the caller's tenant (or a CTE). Then rewrites each dataset reference
 * to a per-query view and collects the WHERE conjuncts that can prune its files.
 */
public final class SqlAnalyzer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> DENIED_FUNCTIONS = Set.of(
            "getenv", "current_setting", "which_secret", "query", "query_table", "read_text", "read_blob", "glob");
    private static final Map<String, ColumnPredicate.Op> COMPARISONS = Map.of(
            "COMPARE_EQUAL", ColumnPredicate.Op.EQ,
            "COMPARE_LESSTHAN", ColumnPredicate.Op.LT,
            "COMPARE_LESSTHANOREQUALTO", ColumnPredicate.Op.LE,
            "COMPARE_GREATERTHAN", ColumnPredicate.Op.GT,
            "COMPARE_GREATERTHANOREQUALTO", ColumnPredicate.Op.GE);
    private static final Map<ColumnPredicate.Op, ColumnPredicate.Op> MIRRORED = Map.of(
            ColumnPredicate.Op.EQ, ColumnPredicate.Op.EQ,
            ColumnPredicate.Op.LT, ColumnPredicate.Op.GT,
            ColumnPredicate.Op.LE, ColumnPredicate.Op.GE,
            ColumnPredicate.Op.GT, ColumnPredicate.Op.LT,
            ColumnPredicate.Op.GE, ColumnPredicate.Op.LE);

    private final Predicate<DatasetName> tenantHasDataset;
    private final String defaultCatalog;
    private final String defaultSchema;

    /**
     * @param tenantHasDataset whether the caller's tenant has a dataset of that name
     */
    public SqlAnalyzer(Predicate<DatasetName> tenantHasDataset, String defaultCatalog, String defaultSchema) {
        this.tenantHasDataset = tenantHasDataset;
        this.defaultCatalog = defaultCatalog;
        this.defaultSchema = defaultSchema;
    }

    public AnalyzedStatement analyze(Connection connection, String sql) throws SQLException {
        JsonNode parsed = serialize(connection, sql);
        if (parsed.path("error").asBoolean()) {
            String message = parsed.path("error_message").asText();
            if (message.contains("Only SELECT statements")) {
                throw new QueryRejectedException("only read statements are allowed (SELECT, WITH, VALUES, EXPLAIN); "
                        + "COPY, ATTACH, INSTALL, LOAD, SET, PRAGMA, CREATE, CALL and other statements are not");
            }
            throw new InvalidInputException("sql", message);
        }
        JsonNode statements = parsed.path("statements");
        if (statements.size() != 1) {
            throw new QueryRejectedException("exactly one statement per query is allowed, got " + statements.size());
        }
        Set<String> cteNames = new HashSet<>();
        collectCteNames(statements, cteNames);
        Walk walk = new Walk(cteNames);
        walk.visit(statements);
        String rewrittenSql = deserialize(connection, parsed);
        return new AnalyzedStatement(rewrittenSql, walk.references(), walk.namesSystemColumns);
    }

    /**
     * The conjuncts of a WHERE clause, all of them column-versus-constant comparisons: for row deletes, where a
     * predicate that cannot be evaluated exactly must be refused rather than skipped.
     */
    public static List<PushedPredicate> strictConjuncts(Connection connection, String where) throws SQLException {
        JsonNode parsed = serialize(connection, "SELECT 1 FROM t WHERE " + where);
        JsonNode statements = parsed.path("statements");
        if (parsed.path("error").asBoolean() || statements.size() != 1) {
            throw new InvalidInputException("where", "not a single filter expression: " + parsed.path("error_message").asText());
        }
        JsonNode expression = statements.get(0).path("node").path("where_clause");
        List<JsonNode> parts = new ArrayList<>();
        flattenAnd(expression, parts);
        List<PushedPredicate> predicates = new ArrayList<>();
        for (JsonNode part : parts) {
            int before = predicates.size();
            conjuncts(part, "t", predicates);
            if (predicates.size() == before) {
                throw new InvalidInputException("where", "only ANDs of column comparisons with constants (=, <, <=, >, >=, "
                        + "BETWEEN, IN, IS [NOT] NULL) are allowed");
            }
        }
        return predicates;
    }

    private static void flattenAnd(JsonNode expression, List<JsonNode> out) {
        if ("CONJUNCTION".equals(expression.path("class").asText()) && "CONJUNCTION_AND".equals(expression.path("type").asText())) {
            expression.path("children").forEach(child -> flattenAnd(child, out));
        } else {
            out.add(expression);
        }
    }

    /** DuckDB's own parse of {@code sql} ({@code json_serialize_sql}): exact where a pattern would guess. */
    public static JsonNode serialize(Connection connection, String sql) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT json_serialize_sql(?::VARCHAR)")) {
            statement.setString(1, sql);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return JSON.readTree(rs.getString(1));
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("DuckDB returned a malformed parse tree", e);
        }
    }

    private static String deserialize(Connection connection, JsonNode tree) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT json_deserialize_sql(?::JSON)")) {
            statement.setString(1, tree.toString());
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private static void collectCteNames(JsonNode node, Set<String> names) {
        if (node.isObject()) {
            JsonNode map = node.path("cte_map").path("map");
            for (JsonNode entry : map) {
                names.add(entry.path("key").asText().toLowerCase(Locale.ROOT));
            }
        }
        for (JsonNode child : node) {
            collectCteNames(child, names);
        }
    }

    /** One pass over the tree: refuses what is not allowed, rewrites dataset references, remembers WHERE clauses. */
    private final class Walk {
        private final Set<String> cteNames;
        private final List<Pending> pending = new ArrayList<>();
        private final IdentityHashMap<JsonNode, JsonNode> whereByFromTable = new IdentityHashMap<>();
        private boolean namesSystemColumns;

        Walk(Set<String> cteNames) {
            this.cteNames = cteNames;
        }

        void visit(JsonNode node) {
            // A column reference, an EXCLUDE or REPLACE list, a struct field: any name in the tree counts.
            if (node.isTextual() && TableSchema.isSystemColumn(node.asText().toLowerCase(Locale.ROOT))) {
                namesSystemColumns = true;
            }
            if (node.isObject()) {
                ObjectNode object = (ObjectNode) node;
                String type = object.path("type").asText();
                if ("TABLE_FUNCTION".equals(type)) {
                    String name = object.path("function").path("function_name").asText();
                    throw new QueryRejectedException("table functions are not allowed: " + name + "(...)"
                            + "; read datasets by name, as catalog.schema.table");
                }
                if ("FUNCTION".equals(object.path("class").asText())
                        && DENIED_FUNCTIONS.contains(object.path("function_name").asText().toLowerCase(Locale.ROOT))) {
                    throw new QueryRejectedException("function not allowed: " + object.path("function_name").asText());
                }
                if ("SELECT_NODE".equals(type) && "BASE_TABLE".equals(object.path("from_table").path("type").asText())) {
                    whereByFromTable.put(object.get("from_table"), object.get("where_clause"));
                }
                if ("BASE_TABLE".equals(type)) {
                    baseTable(object);
                }

            }
            for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
                visit(it.next());
            }
        }

        private void baseTable(ObjectNode table) {
            String catalog = table.path("catalog_name").asText();
            String schema = table.path("schema_name").asText();
            String name = table.path("table_name").asText();
            if (catalog.isEmpty() && schema.isEmpty() && cteNames.contains(name.toLowerCase(Locale.ROOT))) {
                return;
            }
            DatasetName dataset = resolve(catalog, schema, name);
            String alias = table.path("alias").asText();
            String correlation = alias.isEmpty() ? name : alias;
            String viewName = "ls_t" + pending.size();
            pending.add(new Pending(viewName, dataset, table.get("at_clause"), correlation, table));
            table.put("catalog_name", "");
            table.put("schema_name", "");
            table.put("table_name", viewName);
            // Keep the name the statement used for its columns (t.x) when it gave no alias.
            table.put("alias", correlation);
            table.set("at_clause", JsonNodeFactory.instance.nullNode());
            ObjectNode qualified = JsonNodeFactory.instance.objectNode();
            qualified.putArray("path").add(viewName);
            table.set("qualified_name", qualified);
        }

        private DatasetName resolve(String catalog, String schema, String table) {
            String c = catalog.isEmpty() ? defaultCatalog : catalog;
            String s = schema.isEmpty() ? defaultSchema : schema;
            DatasetName name;
            try {
                // Shape first: a path or a system table is not echoed back, whatever the defaults.
                name = new DatasetName(c == null ? "x" : c, s == null ? "x" : s, table);
            } catch (InvalidInputException e) {
                throw new UnknownTableException("no such table: tables are named catalog.schema.table, "
                        + "each part [a-z][a-z0-9_]*");
            }
            if (c == null || s == null) {
                String shown = (schema.isEmpty() ? "" : schema + ".") + table;
                throw new UnknownTableException("table '" + shown + "' does not exist; name it as catalog.schema.table");
            }
            if (!tenantHasDataset.test(name)) {
                throw new UnknownTableException("table '" + name + "' does not exist");
            }
            return name;
        }

        List<TableReference> references() {
            List<TableReference> references = new ArrayList<>();
            for (Pending p : pending) {
                JsonNode where = whereByFromTable.get(p.node());
                List<PushedPredicate> predicates = new ArrayList<>();
                if (where != null && !where.isNull()) {
                    conjuncts(where, p.correlation(), predicates);
                }
                Optional<SqlLiteral> version = Optional.empty();
                Optional<SqlLiteral> timestamp = Optional.empty();
                JsonNode at = p.atClause();
                if (at != null && !at.isNull()) {
                    Optional<SqlLiteral> value = literal(at.path("expr"));
                    if (value.isEmpty()) {
                        throw new QueryRejectedException("AT (...) takes a constant version or timestamp");
                    }
                    if ("VERSION".equalsIgnoreCase(at.path("unit").asText())) {
                        version = value;
                    } else {
                        timestamp = value;
                    }
                }
                references.add(new TableReference(p.viewName(), p.name(), version, timestamp, predicates));
            }
            return references;
        }
    }

    private record Pending(String viewName, DatasetName name, JsonNode atClause, String correlation, JsonNode node) {}

    /** The top-level AND of a WHERE clause, as far as it is column-versus-constant. Anything else is skipped. */
    private static void conjuncts(JsonNode expression, String correlation, List<PushedPredicate> out) {
        String kind = expression.path("class").asText();
        String type = expression.path("type").asText();
        if ("CONJUNCTION".equals(kind) && "CONJUNCTION_AND".equals(type)) {
            for (JsonNode child : expression.path("children")) {
                conjuncts(child, correlation, out);
            }
            return;
        }
        if ("COMPARISON".equals(kind) && COMPARISONS.containsKey(type)) {
            ColumnPredicate.Op op = COMPARISONS.get(type);
            Optional<String> left = column(expression.path("left"), correlation);
            Optional<SqlLiteral> right = literal(expression.path("right"));
            if (left.isPresent() && right.isPresent()) {
                out.add(new PushedPredicate(left.get(), op, List.of(right.get())));
                return;
            }
            Optional<String> rightColumn = column(expression.path("right"), correlation);
            Optional<SqlLiteral> leftValue = literal(expression.path("left"));
            if (rightColumn.isPresent() && leftValue.isPresent()) {
                out.add(new PushedPredicate(rightColumn.get(), MIRRORED.get(op), List.of(leftValue.get())));
            }
            return;
        }
        if ("BETWEEN".equals(kind)) {
            Optional<String> input = column(expression.path("input"), correlation);
            Optional<SqlLiteral> lower = literal(expression.path("lower"));
            Optional<SqlLiteral> upper = literal(expression.path("upper"));
            if (input.isPresent() && lower.isPresent() && upper.isPresent()) {
                out.add(new PushedPredicate(input.get(), ColumnPredicate.Op.GE, List.of(lower.get())));
                out.add(new PushedPredicate(input.get(), ColumnPredicate.Op.LE, List.of(upper.get())));
            }
            return;
        }
        if ("OPERATOR".equals(kind)) {
            JsonNode children = expression.path("children");
            Optional<String> target = children.size() > 0 ? column(children.get(0), correlation) : Optional.empty();
            if (target.isEmpty()) {
                return;
            }
            switch (type) {
                case "OPERATOR_IS_NULL" -> out.add(new PushedPredicate(target.get(), ColumnPredicate.Op.IS_NULL, List.of()));
                case "OPERATOR_IS_NOT_NULL" -> out.add(new PushedPredicate(target.get(), ColumnPredicate.Op.IS_NOT_NULL, List.of()));
                case "COMPARE_IN" -> {
                    List<SqlLiteral> values = new ArrayList<>();
                    for (int i = 1; i < children.size(); i++) {
                        Optional<SqlLiteral> value = literal(children.get(i));
                        if (value.isEmpty()) {
                            return;
                        }
                        values.add(value.get());
                    }
                    out.add(new PushedPredicate(target.get(), ColumnPredicate.Op.IN, values));
                }
                default -> {
                }
            }
        }
    }

    /**
     * The table column a parsed expression (DuckDB's {@code json_serialize_sql}) names, as {@code c} or as {@code t.c}
     * with {@code t} the table's correlation name; empty for anything else, a struct field ({@code s.f}) included.
     */
    public static Optional<String> column(JsonNode expression, String correlation) {
        if (!"COLUMN_REF".equals(expression.path("class").asText())) {
            return Optional.empty();
        }
        JsonNode names = expression.path("column_names");
        if (names.size() == 1) {
            return Optional.of(names.get(0).asText());
        }
        if (names.size() == 2 && names.get(0).asText().equalsIgnoreCase(correlation)) {
            return Optional.of(names.get(1).asText());
        }
        return Optional.empty();
    }

    private static Optional<SqlLiteral> literal(JsonNode expression) {
        String kind = expression.path("class").asText();
        if ("CONSTANT".equals(kind)) {
            JsonNode literal = expression.path("literal");
            if (literal.isMissingNode() || "NULL".equals(literal.path("kind").asText())) {
                return Optional.empty();
            }
            return Optional.of(new SqlLiteral(literal.path("kind").asText(), literal.path("text").asText(), null));
        }
        if ("CAST".equals(kind) && !expression.path("try_cast").asBoolean()) {
            Optional<SqlLiteral> inner = literal(expression.path("child"));
            String target = expression.path("type_expr").path("type_name").asText().toUpperCase(Locale.ROOT);
            return inner.map(value -> new SqlLiteral(value.kind(), value.text(), target));
        }
        return Optional.empty();
    }
}
