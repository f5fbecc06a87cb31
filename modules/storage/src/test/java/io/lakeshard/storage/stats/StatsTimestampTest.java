package io.lakeshard.storage.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The hand-written reading of statistics timestamps agrees with java.time's on every text either accepts. */
class StatsTimestampTest {
    @Test
    void commonShapesReadAsJavaTimeReadsThem() {
        SplittableRandom random = new SplittableRandom(7);
        List<ZoneOffset> offsets = List.of(ZoneOffset.UTC, ZoneOffset.ofHoursMinutes(5, 30), ZoneOffset.ofHoursMinutes(-9, -45));
        for (int i = 0; i < 20_000; i++) {
            long seconds = random.nextLong(-5_000_000_000L, 50_000_000_000L);
            int nanos = random.nextInt(1_000_000_000);
            int digits = random.nextInt(10);
            Instant instant = Instant.ofEpochSecond(seconds, nanos);
            ZoneOffset offset = offsets.get(random.nextInt(offsets.size()));
            String pattern = "yyyy-MM-dd'T'HH:mm:ss" + (digits == 0 ? "" : "." + "S".repeat(digits));
            String naive = DateTimeFormatter.ofPattern(pattern).format(LocalDateTime.ofInstant(instant, ZoneOffset.UTC));
            String zoned = DateTimeFormatter.ofPattern(pattern + "XXX").format(OffsetDateTime.ofInstant(instant, offset));
            if (LocalDateTime.parse(naive).getYear() < 0 || LocalDateTime.parse(naive).getYear() > 9999) {
                continue;
            }
            assertEquals(OptionalLong.of(StatValues.micros(LocalDateTime.parse(naive).toInstant(ZoneOffset.UTC))),
                    StatValues.commonTimestampMicros(naive, true), naive);
            assertEquals(OptionalLong.of(StatValues.micros(OffsetDateTime.parse(zoned).toInstant())),
                    StatValues.commonTimestampMicros(zoned, false), zoned);
        }
    }

    @Test
    void otherTextIsLeftToJavaTime() {
        for (String text : List.of("2026-12-01T20:35", "2026-12-01 20:35:30", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z",
                "2026-12-01T24:00:00Z", "2026-12-01T20:35:30.Z", "2026-12-01T20:35:30.1234567891Z", "+12026-12-01T20:35:30Z",
                "2026-12-01T20:35:30+01:00:00", "2026-12-01T20:35:30+1:00", "2026-12-0xT20:35:30Z", "2026-12-01T20:35:30+18:30",
                "2026-12-01T20:35:30.\u0661\u0662Z")) {
            assertTrue(StatValues.commonTimestampMicros(text, false).isEmpty(), text);
        }
        assertTrue(StatValues.commonTimestampMicros("2026-12-01T20:35:30Z", true).isEmpty(), "a zone on a naive timestamp");
        assertTrue(StatValues.commonTimestampMicros("2026-12-01T20:35:30", false).isEmpty(), "no zone on a zoned timestamp");
    }
}
