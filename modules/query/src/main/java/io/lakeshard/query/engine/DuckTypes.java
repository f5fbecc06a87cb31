package io.lakeshard.query.engine;

/** DuckDB SQL text: quoted identifiers and string literals. Type names come from the Arrow module (DuckDbTypes). */
final class DuckTypes {
    private DuckTypes() {}

    static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    static String string(String value) {
        return "'" + value.replace("'", "''") + "'";
    }
}
