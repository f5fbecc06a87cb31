package io.lakeshard.storage.maintenance;

import java.time.Duration;

/**
 * What a maintenance run did. {@code version} is the commit it made, or -1 when there was nothing to do.
 */
public record MaintenanceMetrics(
        String operation,
        long version,
        long filesBefore,
        long filesAfter,
        long rowsBefore,
        long rowsAfter,
        long bytesBefore,
        long bytesAfter,
        Duration duration) {}
