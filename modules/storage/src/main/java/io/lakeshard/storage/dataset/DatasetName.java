package io.lakeshard.storage.dataset;

import java.util.regex.Pattern;

/** A dataset's namespace, {@code catalog.schema.table}. Parts are lower case so paths and SQL names agree. */
public record DatasetName(String catalog, String schema, String table) {
    private static final Pattern PART = Pattern.compile("[a-z][a-z0-9_]{0,62}");

    public DatasetName {
        requireValidPart("catalog", catalog);
        requireValidPart("schema", schema);
        requireValidPart("table", table);
    }

    public static DatasetName parse(String qualifiedName) {
        if (qualifiedName == null) {
            throw new InvalidInputException("name", "expected catalog.schema.table, got nothing");
        }
        String[] parts = qualifiedName.split("\\.", -1);
        if (parts.length != 3) {
            throw new InvalidInputException("name", "expected catalog.schema.table, got '" + qualifiedName + "'");
        }
        return new DatasetName(parts[0], parts[1], parts[2]);
    }

    static void requireValidPart(String what, String value) {
        if (value == null || !PART.matcher(value).matches()) {
            throw new InvalidInputException("name." + what,
                    "'" + value + "' must match [a-z][a-z0-9_]{0,62}");
        }
    }

    @Override
    public String toString() {
        return catalog + "." + schema + "." + table;
    }
}
