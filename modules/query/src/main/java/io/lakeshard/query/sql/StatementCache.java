package io.lakeshard.query.sql;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What was worked out for statement texts, kept across queries. Bounded: when full it starts again rather than track
 * what is old, and a statement longer than {@value #MAX_SQL_CHARS} characters (a generated IN list, say) is not kept,
 * so the text it holds stays below ~{@value #ENTRIES} times that.
 */
public final class StatementCache<K, V> {
    /** Enough for every statement a dashboard repeats. */
    private static final int ENTRIES = 1_024;
    private static final int MAX_SQL_CHARS = 16_384;

    private final Map<K, V> entries = new ConcurrentHashMap<>();

    /** The value kept for {@code key}, or null. */
    public V get(K key) {
        return entries.get(key);
    }

    /** @param sql the statement text {@code key} is made of, which decides whether it is kept */
    public void put(String sql, K key, V value) {
        requireNonNull(value, "value is null");
        if (sql.length() > MAX_SQL_CHARS) {
            return;
        }
        if (entries.size() >= ENTRIES) {
            entries.clear();
        }
        entries.put(key, value);
    }
}
