package io.lakeshard.server;

import static io.lakeshard.client.sampling.SamplingPolicyOption.keepErrors;
import static io.lakeshard.client.sampling.SamplingPolicyOption.keepLargeTraces;
import static io.lakeshard.client.sampling.SamplingPolicyOption.keepPercentage;
import static io.lakeshard.client.sampling.SamplingPolicyOption.keepResourceAttribute;
import static io.lakeshard.client.sampling.SamplingPolicyOption.keepSlowSpans;
import static io.lakeshard.client.sampling.SamplingPolicyOption.keepSlowTraces;
import static io.lakeshard.client.sampling.SamplingPolicyOption.keepSpanAttribute;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.lakeshard.arrow.ArrowStreams;
import io.lakeshard.client.DecisionStream;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.LakeshardException;
import io.lakeshard.client.sampling.Decision;
import io.lakeshard.client.sampling.ExportOption;
import io.lakeshard.client.sampling.Sampler;
import io.lakeshard.client.sampling.SamplerOptions;
import io.lakeshard.service.Principal;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.service.ingest.WriteRequest;
import io.lakeshard.traces.query.TraceId;
import io.lakeshard.traces.sampling.DecisionRow;
import io.lakeshard.traces.sampling.DecisionTable;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * SamplingService through the SDK and the CLI against one server on loopback: samplers created (and created again),
 * refused with the field named, hidden from other tenants, listed and deleted; a decision stream read to its end,
 * resumed from a cursor, followed, and ended by the sampler's delete. The decisions are written into the decisions
 * dataset by the test (the sampler has no spans to decide), so the stream is the door's alone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SamplingApiTest {
    private static final String ACME_KEY = "acme-sampling";
    private static final String GLOBEX_KEY = "globex-sampling";
    private static final String EVENTS = "lake.web.events";
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    private LakeshardServer server;
    private LakeshardClient acme;
    private LakeshardClient globex;
    private BufferAllocator allocator;
    private String address;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        allocator = new RootAllocator();
        server = TestServers.start(dir, """
                lakeshard.sampling.feed-poll-interval = 50ms
                lakeshard.server.api-keys = [
                  { tenant = "acme", sha256 = "%s" },
                  { tenant = "globex", sha256 = "%s" }
                ]
                """.formatted(ApiKeys.sha256(ACME_KEY), ApiKeys.sha256(GLOBEX_KEY)));
        address = "127.0.0.1:" + server.port();
        TraceFixture.register(server.service(), "acme");
        TraceFixture.register(server.service(), "globex");
        acme = LakeshardClient.connect("127.0.0.1", server.port(), ACME_KEY);
        globex = LakeshardClient.connect("127.0.0.1", server.port(), GLOBEX_KEY);
        acme.register(EVENTS, new Schema(List.of(new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null))), List.of());
    }

    @AfterAll
    void stop() throws Exception {
        acme.close();
        globex.close();
        server.close();
        allocator.close();
    }

    @Test
    void aSamplerIsCreatedOnceSeenByItsTenantOnlyListedAndDeleted() {
        SamplerOptions options = SamplerOptions.named("checkout").withInactivity(Duration.ofSeconds(30))
                .withMaxTraceDuration(Duration.ofMinutes(10))
                .withPolicies(keepErrors(), keepSlowSpans(Duration.ofSeconds(2)), keepSlowTraces(Duration.ofMillis(1500)), keepLargeTraces(50),
                        keepSpanAttribute("http.route", "/checkout"), keepResourceAttribute("deployment.environment", "canary"),
                        keepPercentage(12.5))
                .withExport(ExportOption.http("https://exporter:secret@collector.example:4318/v1/traces")
                        .withHeader("authorization", "Bearer very-secret"));
        Sampler created = acme.createSampler(options);
        assertEquals("otel.traces.spans", created.dataset());
        assertEquals("checkout", created.name());
        assertEquals(Duration.ofSeconds(30), created.inactivity());
        assertEquals(Duration.ofMinutes(10), created.maxTraceDuration());
        assertEquals(List.of("errors", "slow_span>2s", "slow_trace>1500ms", "large_trace>50", "span_attribute:http.route=/checkout",
                "resource_attribute:deployment.environment=canary", "percentage:12.5"),
                created.policies().stream().map(Sampler.Policy::name).toList());
        assertEquals(options.policies(), created.policies().stream().map(Sampler.Policy::definition).toList(), "the policies come back");
        Sampler.Export export = created.export().orElseThrow();
        assertEquals(ExportOption.Protocol.HTTP, export.protocol());
        assertEquals("https://collector.example:4318/v1/traces", export.endpoint(), "no user info: it is as secret as the headers");
        assertEquals(List.of("authorization"), export.headerNames());
        assertEquals("otel.traces.spans_sampled_checkout", created.decisionsDataset());
        assertEquals(0, created.rows());
        assertEquals(Map.of(), created.keptByPolicy());
        assertEquals("otel.traces.spans_sampled_checkout", acme.dataset("otel.traces.spans_sampled_checkout").getName(),
                "the decisions dataset is registered before the answer");

        Sampler again = acme.createSampler(options);
        assertEquals(created.createdAt(), again.createdAt(), "created again as it is: the same sampler");
        assertEquals(created.policies(), again.policies());
        LakeshardException other = assertThrows(LakeshardException.class,
                () -> acme.createSampler(options.withPolicies(keepErrors(), keepPercentage(20))));
        assertEquals(Status.Code.ALREADY_EXISTS, other.code(), other.getMessage());
        assertTrue(other.getMessage().startsWith("ALREADY_EXISTS: name: sampler checkout of otel.traces.spans exists with another definition"),
                other.getMessage());

        Sampler read = acme.sampler("otel.traces.spans", "checkout");
        assertEquals(created.policies(), read.policies());
        assertEquals(created.createdAt(), read.createdAt());
        assertTrue(acme.samplers().stream().anyMatch(sampler -> sampler.name().equals("checkout")), acme.samplers().toString());

        assertEquals(Status.Code.NOT_FOUND, failure(() -> globex.sampler("", "checkout")).code(), "another tenant has no such sampler");
        assertEquals(Status.Code.NOT_FOUND, failure(() -> globex.deleteSampler("", "checkout")).code());
        assertEquals(List.of(), globex.samplers());
        assertEquals(Status.Code.NOT_FOUND, failure(() -> acme.sampler("", "nope")).code());

        Sampler deleted = acme.deleteSampler("", "checkout");
        assertEquals("checkout", deleted.name());
        LakeshardException gone = failure(() -> acme.sampler("", "checkout"));
        assertEquals(Status.Code.NOT_FOUND, gone.code());
        assertEquals("NOT_FOUND: name: no sampler checkout of otel.traces.spans", gone.getMessage());
        assertFalse(acme.samplers().stream().anyMatch(sampler -> sampler.name().equals("checkout")));
        assertEquals(Status.Code.NOT_FOUND, failure(() -> acme.deleteSampler("", "checkout")).code());
    }

    @Test
    void badRequestsAreRefusedNamingTheField() {
        SamplerOptions valid = SamplerOptions.named("refused").withPolicies(keepErrors());
        assertInvalid("policies[1].percentage.percent: expected 0 to 100, got 140", valid.withPolicies(keepErrors(), keepPercentage(140)));
        assertInvalid("policies[1].slow.threshold_millis: expected 0 or more, got -5",
                valid.withPolicies(keepErrors(), keepSlowSpans(Duration.ofMillis(-5))));
        assertInvalid("policies[0].large_trace.span_count: expected a span count of 0 or more, got -1", valid.withPolicies(keepLargeTraces(-1)));
        assertInvalid("policies[0].attribute.key: expected an attribute key, got an empty one", valid.withPolicies(keepSpanAttribute("", "x")));
        assertInvalid("policies[1]: the same policy as policies[0] (errors)", valid.withPolicies(keepErrors(), keepErrors()));
        assertInvalid("policies: expected at least one policy", valid.withPolicies());
        assertInvalid("name: expected 1 to 63 of a-z, 0-9 and '_'", SamplerOptions.named("Checkout").withPolicies(keepErrors()));
        assertInvalid("inactivity_millis: expected a duration of more than 0", valid.withInactivity(Duration.ofMillis(-1)));
        assertInvalid("max_trace_duration_millis: expected at least the inactivity",
                valid.withInactivity(Duration.ofMinutes(10)).withMaxTraceDuration(Duration.ofMinutes(1)));
        assertInvalid("dataset: " + EVENTS + " is not a trace dataset", valid.withDataset(EVENTS));
        assertInvalid("dataset: expected catalog.schema.table, got 'spans'", valid.withDataset("spans"));
        assertInvalid("export.endpoint: expected an http:// or https:// URL, got 'ftp://collector'",
                valid.withExport(ExportOption.http("ftp://collector")));
        assertInvalid("export.endpoint: expected an http:// or https:// URL, got 'http://col lector'",
                valid.withExport(ExportOption.http("http://col lector")));
        assertInvalid("export.endpoint: expected a port for OTLP/gRPC", valid.withExport(ExportOption.grpc("http://collector")));
        assertInvalid("export.headers: expected header names of visible ASCII without ':', got 'x:y'",
                valid.withExport(ExportOption.http("http://collector:4318/v1/traces").withHeader("x:y", "z")));

        LakeshardException unknown = failure(() -> acme.createSampler(valid.withDataset("lake.web.nothing")));
        assertEquals(Status.Code.NOT_FOUND, unknown.code(), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("lake.web.nothing"), unknown.getMessage());
        assertEquals(Status.Code.NOT_FOUND, failure(() -> acme.sampler("", "refused")).code(), "nothing was created");
    }

    @Test
    void decisionsStreamInOrderResumeFromACursorAndEndWhenTheSamplerIsDeleted() throws Exception {
        acme.createSampler(SamplerOptions.named("stream").withPolicies(keepErrors(), keepPercentage(10)));
        TraceId first = new TraceId("0123456789abcdef0123456789abcdef");
        TraceId second = new TraceId("00000000000000000000000000000002");
        writeDecisions(1, List.of(
                row(1, first, false, Optional.of("errors"), 7),
                row(2, second, false, Optional.empty(), 3),
                // A late row follows its trace's decision: not a decision of its own.
                row(3, first, true, Optional.of("errors"), 1),
                row(4, new TraceId("00000000000000000000000000000004"), false, Optional.of("percentage:10"), 1)));

        List<Decision> all = read(acme.decisions("", "stream", 0, false));
        assertEquals(List.of(1L, 2L, 4L), all.stream().map(Decision::sequence).toList());
        Decision kept = all.get(0);
        assertEquals(first.hex(), kept.traceId());
        assertTrue(kept.keep());
        assertEquals(Optional.of("errors"), kept.policy());
        assertEquals(7, kept.spanCount());
        assertEquals(T0, kept.readyAt());
        assertEquals(Duration.ofMillis(250), kept.lag());
        assertEquals(1, kept.tick());
        assertFalse(all.get(1).keep());
        assertEquals(Optional.empty(), all.get(1).policy());
        assertEquals(List.of(4L), read(acme.decisions("otel.traces.spans", "stream", 2, false)).stream().map(Decision::sequence).toList(),
                "resumed after a cursor");

        try (DecisionStream followed = acme.decisions("", "stream", 4)) {
            assertEquals(Optional.empty(), followed.poll(Duration.ofMillis(300)), "caught up: it waits");
            assertFalse(followed.ended());
            writeDecisions(2, List.of(row(5, new TraceId("00000000000000000000000000000005"), false, Optional.empty(), 2)));
            Decision next = awaitDecision(followed);
            assertEquals(5, next.sequence());
            assertEquals(5, followed.after());
            acme.deleteSampler("", "stream");
            LakeshardException deleted = assertThrows(LakeshardException.class, followed::hasNext);
            assertEquals(Status.Code.NOT_FOUND, deleted.code(), deleted.getMessage());
            assertEquals("NOT_FOUND: name: no sampler stream of otel.traces.spans", deleted.getMessage());
        }

        assertEquals(Status.Code.NOT_FOUND, assertThrows(LakeshardException.class,
                () -> read(acme.decisions("", "never", 0, false))).code());
        assertEquals(Status.Code.NOT_FOUND, assertThrows(LakeshardException.class,
                () -> read(globex.decisions("", "stream", 0, false))).code());
        LakeshardException negative = assertThrows(LakeshardException.class, () -> read(acme.decisions("", "stream", -1, false)));
        assertEquals(Status.Code.INVALID_ARGUMENT, negative.code());
        assertTrue(negative.getMessage().startsWith("INVALID_ARGUMENT: after: "), negative.getMessage());
    }

    @Test
    void theCliCreatesListsShowsAndDeletesSamplers() {
        CliRun created = cli("sampler", "create", "--name", "cli_sampler", "--inactivity", "1m", "--max-duration", "30m",
                "--policy", "errors", "--policy", "slow-span>2s", "--policy", "slow-trace=30s", "--policy", "spans>50",
                "--policy", "span:http.route=/checkout", "--policy", "resource:deployment.environment=canary", "--policy", "percent=10",
                "--export-grpc", "http://127.0.0.1:4317", "--export-header", "authorization=Bearer cli-secret");
        assertEquals(0, created.exit(), created.err());
        assertEquals("""
                sampler cli_sampler of otel.traces.spans: decisions in otel.traces.spans_sampled_cli_sampler
                finished after 1m without spans, or 30m after its first
                policies: errors, slow_span>2s, slow_trace>30s, large_trace>50, span_attribute:http.route=/checkout, \
                resource_attribute:deployment.environment=canary, percentage:10
                export: OTLP/GRPC http://127.0.0.1:4317 with headers authorization
                """, created.out());

        CliRun listed = cli("sampler", "list");
        assertEquals(0, listed.exit(), listed.err());
        assertTrue(listed.out().matches("(?s).*\\| otel\\.traces\\.spans +\\| cli_sampler +\\| 0 +\\| 0 +\\| 0 +\\| [^|]+\\| through 0 \\(0 spans\\) +\\|.*"),
                listed.out());

        CliRun shown = cli("sampler", "show", "--name", "cli_sampler");
        assertEquals(0, shown.exit(), shown.err());
        assertTrue(shown.out().contains("0 traces decided, 0 kept; 0 rows (0 of late spans)"), shown.out());
        assertTrue(shown.out().matches("(?s).*\\| 1 +\\| errors +\\| 0 +\\|.*\\| 7 +\\| percentage:10 +\\| 0 +\\|.*7 rows\\n"), shown.out());
        assertFalse(shown.out().contains("cli-secret"), shown.out());

        CliRun decisions = cli("sampler", "decisions", "--name", "cli_sampler");
        assertEquals(0, decisions.exit(), decisions.err());
        assertTrue(decisions.out().contains("| sequence | trace_id | decision | policy | decided_at | lag_ms |"), decisions.out());
        assertTrue(decisions.out().endsWith("0 rows\n"), decisions.out());

        CliRun deleted = cli("sampler", "delete", "--name", "cli_sampler");
        assertEquals(0, deleted.exit(), deleted.err());
        assertEquals("deleted sampler cli_sampler of otel.traces.spans: 0 traces decided, 0 kept; its decisions stay in "
                + "otel.traces.spans_sampled_cli_sampler\n", deleted.out());
        CliRun gone = cli("sampler", "show", "--name", "cli_sampler");
        assertEquals(2, gone.exit());
        assertEquals("error: NOT_FOUND: name: no sampler cli_sampler of otel.traces.spans\n", gone.err());
    }

    @Test
    void theCliNamesTheOptionItCannotRead() {
        assertCliError("--policy 'fast': expected errors, slow-span>DURATION, slow-trace>DURATION, spans>COUNT, span:KEY=VALUE, "
                + "resource:KEY=VALUE or percent=PERCENT", "--policy", "errors", "--policy", "fast");
        assertCliError("--policy 'slow-span>2x' takes a number and a unit", "--policy", "slow-span>2x");
        assertCliError("--policy 'slow-trace>250us': expected whole milliseconds, got 250 µs", "--policy", "slow-trace>250us");
        assertCliError("--policy 'spans>many': expected a span count, got 'many'", "--policy", "spans>many");
        assertCliError("--policy 'percent=ten': expected a percentage, got 'ten'", "--policy", "percent=ten");
        assertCliError("--policy 'span:=x': expected span:KEY=VALUE", "--policy", "span:=x");
        assertCliError("--policy 'resource:env': expected resource:KEY=VALUE", "--policy", "resource:env");
        assertCliError("--inactivity takes a number and a unit", "--policy", "errors", "--inactivity", "soon");
        assertCliError("--export-http and --export-grpc: one export at most", "--policy", "errors", "--export-http", "http://a:1/v1/traces",
                "--export-grpc", "http://a:2");
        assertCliError("--export-header: only with --export-http or --export-grpc", "--policy", "errors", "--export-header", "a=b");
        // What only the server checks comes back as its error, naming the request's field.
        assertCliError("INVALID_ARGUMENT: policies[1].percentage.percent: expected 0 to 100, got 140", "--policy", "errors", "--policy", "percent=140");
        assertEquals(Status.Code.NOT_FOUND, failure(() -> acme.sampler("", "cli_refused")).code(), "nothing was created");
    }

    private void assertCliError(String message, String... options) {
        List<String> args = new ArrayList<>(List.of("sampler", "create", "--name", "cli_refused"));
        args.addAll(List.of(options));
        CliRun run = cli(args.toArray(String[]::new));
        assertEquals(2, run.exit(), run.out() + run.err());
        assertTrue(run.err().startsWith("error: " + message), run.err());
    }

    private CliRun cli(String... args) {
        return CliRun.run(address, ACME_KEY, 2, args);
    }

    private void assertInvalid(String message, SamplerOptions options) {
        LakeshardException refused = failure(() -> acme.createSampler(options));
        assertEquals(Status.Code.INVALID_ARGUMENT, refused.code(), refused.getMessage());
        assertTrue(refused.getMessage().startsWith("INVALID_ARGUMENT: " + message), refused.getMessage());
    }

    private static LakeshardException failure(Supplier<?> call) {
        return assertThrows(LakeshardException.class, call::get);
    }

    private static List<Decision> read(DecisionStream stream) {
        try (stream) {
            List<Decision> decisions = new ArrayList<>();
            stream.forEachRemaining(decisions::add);
            assertTrue(stream.ended());
            return decisions;
        }
    }

    private static Decision awaitDecision(DecisionStream stream) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Decision> next = stream.poll(Duration.ofMillis(200));
            if (next.isPresent()) {
                return next.get();
            }
        }
        throw new AssertionError("no decision within " + WAIT);
    }

    private static DecisionRow row(long sequence, TraceId traceId, boolean late, Optional<String> policy, long spanCount) {
        return new DecisionRow(sequence, traceId, late, policy.isPresent(), policy, 1, T0.plusMillis(250), T0, spanCount, 0, 0, 0, 0);
    }

    /** Rows in the decisions dataset of acme's sampler {@code stream}, as its owner would have written them. */
    private void writeDecisions(long sequence, List<DecisionRow> rows) throws Exception {
        VectorSchemaRoot batch = DecisionTable.batch(rows, allocator);
        // Ingest closes the batch once the write is acknowledged.
        server.service().ingest().write(Principal.tenant("acme"), WriteRequest.of("otel.traces.spans_sampled_stream", "sampling-test",
                sequence, ArrowStreams.write(batch).length), batch).toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
}
