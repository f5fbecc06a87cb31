package io.lakeshard.storage.internal.write;

import java.util.List;
import java.util.Map;

/** Hive-style partition directories ({@code col=value/...}), escaped as Spark escapes them. */
public final class PartitionPaths {
    public static final String NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__";

    private PartitionPaths() {}

    public static String directory(List<String> physicalColumns, Map<String, String> partitionValues) {
        StringBuilder path = new StringBuilder();
        for (String column : physicalColumns) {
            String value = partitionValues.get(column);
            path.append(escape(column)).append('=').append(value == null ? NULL_PARTITION : escape(value)).append('/');
        }
        return path.toString();
    }

    static String escape(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (char c : value.toCharArray()) {
            if (needsEscaping(c)) {
                out.append('%').append(String.format("%02X", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean needsEscaping(char c) {
        return c < 0x20 || c == 0x7F || "\"#%'*/:=?\\{[]^".indexOf(c) >= 0;
    }
}
