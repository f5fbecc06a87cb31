package io.lakeshard.storage.dataset;

import static java.util.Objects.requireNonNull;

import java.util.regex.Pattern;

/** A dataset as owned by one tenant: two tenants may each have a dataset of the same name. */
public record DatasetId(String tenant, DatasetName name) {
    private static final Pattern TENANT = Pattern.compile("[a-z][a-z0-9_-]{0,62}");

    public DatasetId {
        if (tenant == null || !TENANT.matcher(tenant).matches()) {
            throw new InvalidInputException("tenant", "'" + tenant + "' must match [a-z][a-z0-9_-]{0,62}");
        }
        requireNonNull(name, "name is null");
    }

    /** The table's directory below the storage root: one directory level per name part. */
    public String relativePath() {
        return tenant + "/" + name.catalog() + "/" + name.schema() + "/" + name.table();
    }

    @Override
    public String toString() {
        return tenant + "/" + name;
    }
}
