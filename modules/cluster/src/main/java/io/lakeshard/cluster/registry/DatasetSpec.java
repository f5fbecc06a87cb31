package io.lakeshard.cluster.registry;

import io.lakeshard.cluster.CborSerializable;
import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.dataset.WriterOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A dataset definition in a form the journal and the network can carry: the Arrow schema as its JSON.
 *
 * @param uniqueKeyColumns null in events journaled before it existed: none
 */
public record DatasetSpec(
        String arrowSchemaJson,
        List<String> partitionColumns,
        String eventTimeColumn,
        List<String> bloomFilterColumns,
        List<String> sortColumns,
        List<String> zOrderColumns,
        long targetFileSizeBytes,
        int compressionLevel,
        List<String> uniqueKeyColumns) implements CborSerializable {

    public static DatasetSpec of(DatasetDefinition definition) {
        WriterOptions options = definition.writerOptions();
        return new DatasetSpec(definition.userSchema().toJson(), definition.partitionColumns(),
                definition.eventTimeColumn().orElse(null), options.bloomFilterColumns(), options.sortColumns(),
                options.zOrderColumns(), options.targetFileSizeBytes(), options.compressionLevel(), options.uniqueKeyColumns());
    }

    /** Validates as it converts: a spec from the network may be anything. */
    public DatasetDefinition toDefinition() {
        Schema schema;
        try {
            schema = Schema.fromJSON(arrowSchemaJson);
        } catch (IOException | RuntimeException e) {
            throw new InvalidInputException("schema", "not a valid Arrow schema: " + e.getMessage());
        }
        WriterOptions options = new WriterOptions(orEmpty(bloomFilterColumns), orEmpty(sortColumns), orEmpty(zOrderColumns),
                targetFileSizeBytes, compressionLevel, orEmpty(uniqueKeyColumns));
        return new DatasetDefinition(schema, orEmpty(partitionColumns), Optional.ofNullable(eventTimeColumn), options);
    }

    /**
     * Identifies the table's shape: registering the same name with the same fingerprint is a no-op, with another
     * a conflict. Field order, names, types and nullability count; writer options do not.
     */
    public String fingerprint() {
        DatasetDefinition definition = toDefinition();
        StringBuilder canonical = new StringBuilder();
        for (Field field : definition.userSchema().getFields()) {
            canonical.append(field).append(field.isNullable() ? "?" : "!").append('|');
        }
        canonical.append("partitions=").append(definition.partitionColumns())
                .append("|event_time=").append(definition.eventTimeColumn().orElse(""));
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> orEmpty(List<String> list) {
        return list == null ? List.of() : list;
    }
}
