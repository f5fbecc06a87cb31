package io.lakeshard.storage.fs;

import static java.util.Objects.requireNonNull;

import java.net.URI;

/**
 * A file as the store lists it. {@code version} is what changes when the file is rewritten in place: the object's
 * ETag on S3, empty on filesystems that have none (there size and modification time tell versions apart).
 */
public record StoredFile(URI uri, long size, long modifiedMillis, String version) {
    public StoredFile {
        requireNonNull(uri, "uri is null");
        requireNonNull(version, "version is null");
        if (size < 0) {
            throw new IllegalArgumentException("size is negative: " + size);
        }
    }
}
