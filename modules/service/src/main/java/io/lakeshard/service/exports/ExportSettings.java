package io.lakeshard.service.exports;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import io.lakeshard.cluster.DirectoryRoots;
import java.util.List;

/**
 * {@code lakeshard.exports}: where tenants may export to, and how the files are cut.
 *
 * @param roots directories ({@code file:} or {@code s3a:} URIs) whose {@code <tenant>/} subdirectory a tenant may export into
 */
public record ExportSettings(List<String> roots, long fileBytes, String memoryLimit) {
    public ExportSettings {
        roots = List.copyOf(requireNonNull(roots, "roots is null"));
        requireNonNull(memoryLimit, "memoryLimit is null");
        if (fileBytes <= 0) {
            throw new IllegalArgumentException("lakeshard.exports.file-bytes: expected a positive size, got " + fileBytes);
        }
    }

    public static ExportSettings from(Config config) {
        Config exports = config.getConfig("lakeshard.exports");
        return new ExportSettings(DirectoryRoots.from(exports, "roots"), exports.getBytes("file-bytes"), exports.getString("memory-limit"));
    }
}
