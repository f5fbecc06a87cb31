package io.lakeshard.query.catalog;

import static java.util.Objects.requireNonNull;

import io.lakeshard.query.UnknownTableException;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.table.TableSnapshot;
import java.util.Comparator;
import java.util.List;
import org.apache.arrow.vector.types.pojo.Schema;

/** A tenant's catalogs, schemas and tables, and what a table holds, answered from the Delta log alone. */
public final class DatasetCatalog {
    private final TableResolver resolver;

    public DatasetCatalog(TableResolver resolver) {
        this.resolver = requireNonNull(resolver, "resolver is null");
    }

    public List<String> catalogs(String tenant) {
        return resolver.list(tenant).stream().map(DatasetName::catalog).distinct().sorted().toList();
    }

    public List<String> schemas(String tenant, String catalog) {
        return resolver.list(tenant).stream().filter(n -> n.catalog().equals(catalog))
                .map(DatasetName::schema).distinct().sorted().toList();
    }

    public List<DatasetName> tables(String tenant, String catalog, String schema) {
        return resolver.list(tenant).stream()
                .filter(n -> n.catalog().equals(catalog) && (schema == null || n.schema().equals(schema)))
                .sorted(Comparator.comparing(DatasetName::toString)).toList();
    }

    public TableDescription describe(String tenant, DatasetName name) {
        TableSnapshot snapshot = resolver.resolve(tenant, name)
                .orElseThrow(() -> new UnknownTableException("table '" + name + "' does not exist"))
                .refresh();
        return new TableDescription(name, snapshot.schema().logical(), snapshot.schema().partitionColumns(),
                snapshot.version(), snapshot.files().size(), snapshot.numRecords(), snapshot.sizeBytes());
    }

    /** A table as of its latest version. */
    public record TableDescription(DatasetName name, Schema schema, List<String> partitionColumns, long version,
            int files, long rows, long bytes) {}
}
