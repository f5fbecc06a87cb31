package io.lakeshard.server;

import static io.lakeshard.server.TraceFixture.A;
import static io.lakeshard.server.TraceFixture.B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.service.auth.ApiKeys;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's trace commands, scripted against the fixture's traces: what a user types, and what they print. */
class TraceCliSessionTest {
    private static final String KEY = "cli-traces";

    @Test
    void showSearchServicesRed(@TempDir Path dir) throws Exception {
        try (BufferAllocator allocator = new RootAllocator();
                LakeshardServer server = TestServers.start(dir, """
                        lakeshard.server.api-keys = [{ tenant = "acme", sha256 = "%s" }]
                        """.formatted(ApiKeys.sha256(KEY)))) {
            TraceFixture.write(server.service(), allocator, "acme");
            String address = "127.0.0.1:" + server.port();

            CliRun show = cli(address, "traces", "show", A);
            assertEquals(0, show.exit(), show.err());
            List<String> lines = show.out().lines().toList();
            assertEquals("trace " + A + "  100 ms  5 spans  1 error  services: cart, frontend, payments", lines.get(0));
            assertEquals(List.of(
                    "frontend: GET /checkout │████████████████████████████████████████│ 100 ms",
                    "├─ cart: load-cart      │  ████████████                          │  30 ms",
                    "│  └─ cart: SELECT cart │    ██████                              │  15 ms",
                    "├─ payments: charge     │                ████████████████████    │  50 ms ✗ error",
                    "└─ frontend: render     │                                    ████│   6 ms"),
                    lines.subList(1, lines.size()));

            CliRun orphan = cli(address, "traces", "show", B, "--width", "20");
            assertTrue(orphan.out().contains("cart: async-refresh │             ███████│  8 ms (orphan: parent "
                    + TraceFixture.MISSING_PARENT + " not in the trace)"), orphan.out());

            CliRun search = cli(address, "traces", "search", "--service", "cart", "--since", "1h", "--min-duration", "9ms");
            assertEquals(0, search.exit(), search.err());
            assertTrue(search.out().contains("| trace_id "), search.out());
            assertTrue(search.out().contains("| " + B + " |"), search.out());
            assertTrue(search.out().contains("| " + A + " |"), search.out());
            assertTrue(search.out().contains("| frontend: GET /cart     | cart, frontend           |"), search.out());
            assertTrue(search.out().trim().endsWith("2 rows"), search.out());

            CliRun byAttribute = cli(address, "traces", "search", "--attr", "http.route=/cart");
            assertTrue(byAttribute.out().contains(B) && !byAttribute.out().contains(A), byAttribute.out());
            CliRun typed = cli(address, "traces", "search", "--attr", "http.status_code=200", "--operation", "GET /checkout");
            assertTrue(typed.out().contains(A) && typed.out().trim().endsWith("1 row"), typed.out());
            // Every filter on the same span: A's error span is not the one with the status code.
            CliRun sameSpan = cli(address, "traces", "search", "--attr", "http.status_code=200", "--error");
            assertTrue(sameSpan.out().trim().endsWith("0 rows"), sameSpan.out());

            CliRun paged = cli(address, "traces", "search", "--limit", "5");
            String next = paged.out().lines().filter(line -> line.startsWith("next page: --cursor ")).findFirst().orElseThrow()
                    .substring("next page: --cursor ".length());
            CliRun rest = cli(address, "traces", "search", "--limit", "5", "--cursor", next);
            assertTrue(rest.out().trim().endsWith("3 rows") && !rest.out().contains("next page"), rest.out());

            CliRun services = cli(address, "traces", "services");
            assertTrue(services.out().contains("| cart     | load-cart     | 2     |"), services.out());
            assertTrue(services.out().contains("| payments | charge        | 1     |"), services.out());

            CliRun red = cli(address, "traces", "red", "--service", "payments", "--bucket", "1m");
            assertEquals(0, red.exit(), red.err());
            assertTrue(red.out().contains("| service  | bucket "), red.out());
            assertTrue(red.out().contains("| 1        | 0.017  | 1      | 100.0%     | 50 ms | 50 ms | 50 ms |"), red.out());

            CliRun bad = cli(address, "traces", "show", "not-a-trace-id");
            assertEquals(2, bad.exit());
            assertTrue(bad.err().startsWith("error: INVALID_ARGUMENT: trace_id: "), bad.err());
            CliRun missing = cli(address, "traces", "show", "0123456789abcdef0123456789abcdef");
            assertTrue(missing.err().startsWith("error: NOT_FOUND: "), missing.err());
        }
    }

    private static CliRun cli(String address, String... args) {
        return CliRun.run(address, KEY, 2, args);
    }
}
