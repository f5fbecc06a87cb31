package io.lakeshard.storage;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.storage.fs.StorageRoot;
import io.lakeshard.storage.table.CommitConflictException;
import io.lakeshard.storage.table.DeltaTable;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.storage.table.PendingAppend;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorageErrorsTest {
    @TempDir
    Path dir;

    @Test
    void aFailureOfTheStoreIsUnavailable() {
        StorageRoot storage = StorageRoot.local(dir);
        StorageUnavailableException missing = assertThrows(StorageUnavailableException.class,
                () -> storage.open(dir.resolve("no-such-file").toUri()).close());

        assertTrue(StorageErrors.isUnavailable(missing));
        assertTrue(StorageErrors.isUnavailable(new IllegalStateException("a library's wrapper", new IOException("reset"))));
    }

    @Test
    void aRefusedRequestIsNot() {
        DeltaTable table = TestTables.create(dir, "errors", DatasetDefinition.of(AllTypes.SCHEMA, List.of()));
        CommitConflictException conflict = assertThrows(CommitConflictException.class, () -> table.appendGroup(
                List.of(new PendingAppend(List.of(), new IdempotencyKey("w", 1))), 7));
        InvalidInputException invalid = assertThrows(InvalidInputException.class, () -> table.addColumns(List.of(
                new Field("required", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null))));

        assertFalse(StorageErrors.isUnavailable(conflict));
        assertFalse(StorageErrors.isUnavailable(invalid));
    }
}
