package io.lakeshard.service;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * What the service layer enforces for every door, read once from {@code lakeshard.server.*} (defaults in
 * {@code lakeshard-service.conf}).
 *
 * @param maxMessageBytes the largest write a door may hand in, in encoded bytes
 * @param maxRowsPerWrite the most rows one write may carry
 * @param defaultRowLimit rows a query returns when it names no limit
 * @param defaultQueryTimeout how long a query may run when it names no timeout
 * @param maxConcurrentQueriesPerTenant queries of one tenant running at once on one node
 * @param defaultMaintenanceTimeout how long maintenance on demand waits when the request names no timeout
 * @param maxOtlpRequestBytes the largest OTLP export, decompressed ({@code lakeshard.otlp.max-request-bytes})
 */
public record ServiceSettings(
        long maxMessageBytes,
        long maxRowsPerWrite,
        long defaultRowLimit,
        Duration defaultQueryTimeout,
        int maxConcurrentQueriesPerTenant,
        Duration defaultMaintenanceTimeout,
        long maxOtlpRequestBytes) {

    public ServiceSettings {
        positive(maxMessageBytes, "max-message-bytes");
        positive(maxRowsPerWrite, "max-rows-per-write");
        positive(defaultRowLimit, "default-row-limit");
        positive(maxConcurrentQueriesPerTenant, "max-concurrent-queries-per-tenant");
        positive(requireNonNull(defaultQueryTimeout, "defaultQueryTimeout is null").toMillis(), "default-query-timeout");
        if (maxOtlpRequestBytes <= 0) {
            throw new IllegalArgumentException("lakeshard.otlp.max-request-bytes: expected a positive value, got " + maxOtlpRequestBytes);
        }
        positive(requireNonNull(defaultMaintenanceTimeout, "defaultMaintenanceTimeout is null").toMillis(), "default-maintenance-timeout");
    }

    public static ServiceSettings from(Config config) {
        Config server = config.getConfig("lakeshard.server");
        return new ServiceSettings(
                server.getBytes("max-message-bytes"),
                server.getLong("max-rows-per-write"),
                server.getLong("default-row-limit"),
                server.getDuration("default-query-timeout"),
                server.getInt("max-concurrent-queries-per-tenant"),
                server.getDuration("default-maintenance-timeout"),
                config.getBytes("lakeshard.otlp.max-request-bytes"));
    }

    private static void positive(long value, String key) {
        if (value <= 0) {
            throw new IllegalArgumentException("lakeshard.server." + key + ": expected a positive value, got " + value);
        }
    }
}
