package io.lakeshard.cluster.imports;

import static java.util.Objects.requireNonNull;

import io.lakeshard.cluster.CborSerializable;
import java.util.Map;

/**
 * A source file as a listing found it. {@code identity} is what makes it the same file again: its path, size,
 * modification time and ETag, so a file rewritten in place is a new file and one listed twice is not.
 */
public record FoundFile(String path, String uri, long size, long modifiedMillis, String version, Map<String, String> partitionValues)
        implements CborSerializable {
    public FoundFile {
        requireNonNull(path, "path is null");
        requireNonNull(uri, "uri is null");
        requireNonNull(version, "version is null");
        partitionValues = Map.copyOf(requireNonNull(partitionValues, "partitionValues is null"));
    }

    public String identity() {
        return path + "|" + size + "|" + modifiedMillis + "|" + version;
    }
}
