package io.lakeshard.storage;

import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.table.CommitConflictException;
import io.lakeshard.storage.table.TableExistsException;
import io.lakeshard.storage.table.TableMissingException;
import io.lakeshard.storage.table.UnsupportedTableFeatureException;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * How the layers above tell storage failures apart. The storage API throws these types:
 * <ul>
 *   <li>{@link InvalidInputException}: the request is wrong (a field names what); not retryable.</li>
 *   <li>{@link TableMissingException}, {@link TableExistsException}: the table is not, or already is, there.</li>
 *   <li>{@link CommitConflictException}: another writer committed first; reload and retry.</li>
 *   <li>{@link UnsupportedTableFeatureException}: the table needs a Delta reader feature Lakeshard does not implement;
 *   not retryable.</li>
 *   <li>{@link StorageUnavailableException}: the store failed; retryable.</li>
 * </ul>
 * Delta Kernel and Parquet report store failures in their own wrappers around an {@link IOException}, so a store
 * failure is recognised by its cause chain ({@link StorageUnavailableException} is an {@link UncheckedIOException}):
 * {@link #isUnavailable} is the one test for it.
 */
public final class StorageErrors {
    private StorageErrors() {}

    /** True when {@code failure} is, or was caused by, a failure of the store rather than of the request. */
    public static boolean isUnavailable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof IOException || t instanceof UncheckedIOException) {
                return true;
            }
        }
        return false;
    }
}
