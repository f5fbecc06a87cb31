package io.lakeshard.query.sql;

/**
 * A constant from a statement as DuckDB parsed it: its literal kind (INTEGER, DECIMAL, STRING, ...), its text, and
 * the type it was cast to ({@code DATE '2024-01-01'}), if any.
 */
public record SqlLiteral(String kind, String text, String castType) {}
