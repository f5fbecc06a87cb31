package io.lakeshard.flight;

import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.service.ServiceException;
import io.lakeshard.service.ServiceException.Code;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one write statement the Flight door prepares: {@code INSERT INTO <dataset> VALUES (?, ...)}, which ADBC's
 * bulk ingest sends with the rows as parameter batches. Recognised by its exact shape, never by running it: the SQL
 * door stays read-only, and the rows go in as any ingest does.
 */
final class BulkInsert {
    private static final Pattern INSERT = Pattern.compile(
            "\\s*INSERT\\s+INTO\\s+(\"?[A-Za-z_][A-Za-z0-9_]*\"?(?:\\.\"?[A-Za-z_][A-Za-z0-9_]*\"?){2})\\s+VALUES\\s*"
                    + "\\(\\s*\\?(?:\\s*,\\s*\\?)*\\s*\\)\\s*;?\\s*",
            Pattern.CASE_INSENSITIVE);

    private BulkInsert() {}

    /** The dataset {@code sql} inserts its parameters into, if it is such a statement. */
    static Optional<DatasetName> target(String sql) {
        Matcher matcher = INSERT.matcher(sql);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(DatasetName.parse(matcher.group(1).replace("\"", "").toLowerCase(Locale.ROOT)));
        } catch (InvalidInputException e) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "INSERT INTO: " + e.getMessage());
        }
    }
}
