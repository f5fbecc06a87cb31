package io.lakeshard.query;

import java.time.Instant;
import java.util.OptionalLong;

/** Reads a table as of a version or as of a time, instead of its latest snapshot. */
public record TimeTravel(OptionalLong version, Instant timestamp) {
    public static TimeTravel atVersion(long version) {
        return new TimeTravel(OptionalLong.of(version), null);
    }

    public static TimeTravel asOf(Instant timestamp) {
        return new TimeTravel(OptionalLong.empty(), timestamp);
    }
}
