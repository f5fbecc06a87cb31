package io.lakeshard.traces.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.traces.query.TraceId;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplingPercentageTest {
    private static final int IDS = 100_000;
    /**
     * Hoeffding: the share of n independent keeps strays from p by t or more with probability at most 2·exp(−2nt²).
     * For at most 1e-9 per share checked, t = sqrt(ln(2 / 1e-9) / 2n) ≈ 0.0104 at n = 100,000: a bound no run of
     * random ids fails but once in a billion, and still tight enough to catch a wrong threshold or the wrong bits.
     */
    private static final double TOLERANCE = Math.sqrt(Math.log(2 / 1e-9) / (2.0 * IDS));

    @Test
    void keepsTheRequestedShareOfRandomIds() {
        // Fresh ids each run, as an SDK's are; the seed is in the message to replay a failure.
        long seed = new SecureRandom().nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        List<TraceId> ids = new ArrayList<>();
        for (int i = 0; i < IDS; i++) {
            ids.add(id(random.nextLong(), random.nextLong()));
        }
        for (double percent : List.of(1.0, 10.0, 25.0, 33.3, 50.0, 99.0)) {
            long kept = ids.stream().filter(id -> Decider.inPercentage(id, percent)).count();
            double share = (double) kept / IDS;
            assertTrue(Math.abs(share - percent / 100) < TOLERANCE,
                    percent + "%: kept " + kept + " of " + IDS + " (tolerance " + TOLERANCE + ", seed " + seed + ")");
        }
        assertEquals(0, ids.stream().filter(id -> Decider.inPercentage(id, 0)).count());
        assertEquals(IDS, ids.stream().filter(id -> Decider.inPercentage(id, 100)).count());
    }

    @Test
    void aLowerPercentageKeepsASubsetOfAHigherOne() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 10_000; i++) {
            TraceId id = id(random.nextLong(), random.nextLong());
            if (Decider.inPercentage(id, 10)) {
                assertTrue(Decider.inPercentage(id, 25), id.hex());
            }
            if (Decider.inPercentage(id, 25)) {
                assertTrue(Decider.inPercentage(id, 25.0001), id.hex());
            }
        }
    }

    @Test
    void onlyTheLast56BitsDecideAtOpenTelemetrysThresholds() {
        // OpenTelemetry's tracestate thresholds (th): 25% is c, 50% is 8, 1% is fd70a3d70a3d71.
        assertEquals(0xc0000000000000L, Decider.threshold(25));
        assertEquals(0x80000000000000L, Decider.threshold(50));
        assertEquals(0xfd70a3d70a3d71L, Decider.threshold(1));
        assertEquals(0, Decider.threshold(100));
        assertEquals(1L << 56, Decider.threshold(0));
        long t = Decider.threshold(25);
        assertTrue(Decider.inPercentage(id(0, t), 25), "R = T is kept");
        assertFalse(Decider.inPercentage(id(0, t - 1), 25), "R = T - 1 is not");
        // The byte before the last 7 is not read: W3C does not require it to be random.
        assertTrue(Decider.inPercentage(id(0, t | 0xFF00_0000_0000_0000L), 25));
        assertFalse(Decider.inPercentage(id(-1L, (t - 1) | 0xFF00_0000_0000_0000L), 25));
        assertFalse(Decider.inPercentage(id(-1L, (t - 1) & 0x00FF_FFFF_FFFF_FFFFL), 25));
        assertTrue(Decider.inPercentage(id(0, 0x00FF_FFFF_FFFF_FFFFL), 0.000_001));
        assertFalse(Decider.inPercentage(id(-1L, -1L), 0));
        assertTrue(Decider.inPercentage(id(0, 0), 100));
    }

    private static TraceId id(long high, long low) {
        return new TraceId(HexFormat.of().formatHex(ByteBuffer.allocate(16).putLong(high).putLong(low).array()));
    }
}
