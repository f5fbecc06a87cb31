package io.lakeshard.storage.table;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.storage.write.NewDataFile;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a commit did, as Delta writers record it in the commit's {@code commitInfo}: the operation under Spark's name,
 * its parameters (each a JSON text, as Spark writes them) and, from the files it removes and adds, Spark's metrics.
 * {@code DESCRIBE HISTORY} in any engine then tells an append from a delete, an optimize or a schema change.
 */
public record CommitOperation(String name, Map<String, String> parameters) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static final String WRITE = "WRITE";
    public static final String DELETE = "DELETE";
    public static final String OPTIMIZE = "OPTIMIZE";
    public static final String ADD_COLUMNS = "ADD COLUMNS";
    public static final String SET_TABLE_PROPERTIES = "SET TBLPROPERTIES";
    /** The parameter of a {@link #WRITE} that lists the keys it applied: {@code [{"appId", "sequence", "rows"}]}. */
    public static final String IDEMPOTENCY_KEYS = "idempotencyKeys";

    public CommitOperation {
        requireNonNull(name, "name is null");
        parameters = Map.copyOf(requireNonNull(parameters, "parameters is null"));
    }

    /**
     * An append, as Spark's {@code df.write.mode("append")} records it, and the writers' keys it applies with their
     * rows. Delta's {@code txn} action keeps only each writer's highest sequence; the keys here let a replay of one be
     * answered with the version and rows that committed it, by any node, after any restart.
     */
    public static CommitOperation append(List<String> partitionBy, List<PendingAppend> applied) {
        List<Map<String, Object>> keys = new ArrayList<>();
        for (PendingAppend append : applied) {
            append.key().ifPresent(idempotencyKey -> {
                Map<String, Object> key = new LinkedHashMap<>();
                key.put("appId", idempotencyKey.appId());
                key.put("sequence", idempotencyKey.sequence());
                key.put("rows", append.rows());
                keys.add(key);
            });
        }
        return new CommitOperation(WRITE, Map.of("mode", "Append", "partitionBy", json(partitionBy), IDEMPOTENCY_KEYS, json(keys)));
    }

    /** The rows of each key an append recorded; empty for other operations and for appends that recorded none. */
    public static Map<IdempotencyKey, Long> appliedKeys(Map<String, String> parameters) {
        String keys = parameters.get(IDEMPOTENCY_KEYS);
        if (keys == null) {
            return Map.of();
        }
        Map<IdempotencyKey, Long> rows = new HashMap<>();
        try {
            for (JsonNode key : JSON.readTree(keys)) {
                rows.put(new IdempotencyKey(key.path("appId").asText(), key.path("sequence").asLong()), key.path("rows").asLong());
            }
        } catch (JsonProcessingException | RuntimeException e) {
            // Written by something else under our name: no answer from it beats a wrong one.
            return Map.of();
        }
        return rows;
    }

    /** Deleting the rows matching {@code condition} (SQL text), whole files or by rewriting them; expiry is one too. */
    public static CommitOperation delete(String condition) {
        return new CommitOperation(DELETE, Map.of("predicate", json(List.of(condition))));
    }

    /** Compaction of small files, z-ordered by {@code zOrderBy} if any. */
    public static CommitOperation optimize(List<String> zOrderBy) {
        return new CommitOperation(OPTIMIZE, Map.of("predicate", "[]", "zOrderBy", json(zOrderBy), "auto", "false"));
    }

    /** Columns added, each as Delta's schema JSON of the field. */
    public static CommitOperation addColumns(List<Map<String, Object>> fields) {
        return new CommitOperation(ADD_COLUMNS, Map.of("columns", json(fields.stream().map(field -> Map.of("column", field)).toList())));
    }

    public static CommitOperation setTableProperties(Map<String, String> properties) {
        return new CommitOperation(SET_TABLE_PROPERTIES, Map.of("properties", json(properties)));
    }

    /** Whether the commit only adds files, reading nothing it could conflict with: Delta's {@code isBlindAppend}. */
    public boolean blindAppend() {
        return name.equals(WRITE);
    }

    /** Spark's metrics for this operation over the files the commit removes and adds (all values are strings). */
    public Map<String, String> metrics(Collection<DataFile> removes, Collection<NewDataFile> adds) {
        long removedRows = removes.stream().mapToLong(DataFile::numRecords).sum();
        long removedBytes = removes.stream().mapToLong(DataFile::sizeBytes).sum();
        long addedRows = adds.stream().mapToLong(NewDataFile::numRecords).sum();
        long addedBytes = adds.stream().mapToLong(NewDataFile::sizeBytes).sum();
        Map<String, String> metrics = new LinkedHashMap<>();
        switch (name) {
            case WRITE -> {
                metrics.put("numFiles", String.valueOf(adds.size()));
                metrics.put("numOutputRows", String.valueOf(addedRows));
                metrics.put("numOutputBytes", String.valueOf(addedBytes));
            }
            case DELETE, OPTIMIZE -> {
                metrics.put("numRemovedFiles", String.valueOf(removes.size()));
                metrics.put("numAddedFiles", String.valueOf(adds.size()));
                metrics.put("numRemovedBytes", String.valueOf(removedBytes));
                metrics.put("numAddedBytes", String.valueOf(addedBytes));
                if (name.equals(DELETE)) {
                    metrics.put("numDeletedRows", String.valueOf(removedRows - addedRows));
                    metrics.put("numCopiedRows", String.valueOf(addedRows));
                }
            }
            default -> {
                // Schema and property changes touch no files: Spark records no metrics for them either.
            }
        }
        return metrics;
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot encode " + value, e);
        }
    }
}
