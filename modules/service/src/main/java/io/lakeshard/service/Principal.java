package io.lakeshard.service;

import static java.util.Objects.requireNonNull;

import java.util.Set;

/** Who is calling, whatever the door: a tenant, and what it may do beyond its own data. */
public record Principal(String tenant, Set<Role> roles) {
    /** What a key may do beyond reading and writing its tenant's datasets. */
    public enum Role {
        /** Maintenance on demand, row deletes, the task list and cluster status. */
        ADMIN
    }

    public Principal {
        requireNonNull(tenant, "tenant is null");
        if (tenant.isBlank()) {
            throw new IllegalArgumentException("tenant is blank");
        }
        roles = Set.copyOf(requireNonNull(roles, "roles is null"));
    }

    public static Principal tenant(String tenant) {
        return new Principal(tenant, Set.of());
    }

    public static Principal admin(String tenant) {
        return new Principal(tenant, Set.of(Role.ADMIN));
    }

    public boolean has(Role role) {
        return roles.contains(role);
    }
}
