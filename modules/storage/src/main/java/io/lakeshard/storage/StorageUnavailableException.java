package io.lakeshard.storage;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The store could not be read or written (a network error, a throttled or unreachable object store, a full disk):
 * nothing is known to be wrong with the request, and a retry may succeed.
 */
public final class StorageUnavailableException extends UncheckedIOException {
    private static final long serialVersionUID = 1L;

    public StorageUnavailableException(String message, IOException cause) {
        super(message, cause);
    }
}
