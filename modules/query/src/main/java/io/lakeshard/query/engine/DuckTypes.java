package io.lakeshard.query.engine;

/** DuckDB SQL text: quoted identifiers and string literals. Type names come from the Arrow module (DuckDbTypes). */
public final class DuckTypes {
    private DuckTypes() {}

    public static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    public static String string(String value) {
        return "'" + value.replace("'", "''") + "'";
    }
}
