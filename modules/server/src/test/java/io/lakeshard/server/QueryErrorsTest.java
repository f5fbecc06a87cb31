package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.grpc.GrpcClientSettings;
import akka.stream.javadsl.Sink;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lakeshard.api.v1.QueryRequest;
import io.lakeshard.api.v1.QueryResponse;
import io.lakeshard.api.v1.QueryServiceClient;
import io.lakeshard.grpc.FixedAddressResolver;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.LakeshardException;
import io.lakeshard.client.QueryResults;
import io.lakeshard.cluster.TestCluster;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.testing.SpanBatches;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * What a user gets back from a query that goes wrong or goes away: their SQL mistakes are theirs (INVALID_ARGUMENT
 * with DuckDB's message), the memory limit is RESOURCE_EXHAUSTED, a caller that gives up stops its query, and
 * results arrive in messages every client accepts, with the row limit known from the start.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QueryErrorsTest {
    private static final String KEY = "acme-key";
    private static final String SPANS = "obs.traces.spans";
    private static final String SLOW = "SELECT count(*) AS n FROM obs.traces.spans a, obs.traces.spans b, obs.traces.spans c "
            + "WHERE hash(a.span_id, b.span_id, c.span_id) = 42";

    private Path dir;
    private LakeshardServer server;
    private LakeshardClient client;
    private ActorSystem<Void> grpcSystem;
    private QueryServiceClient queries;
    private QueryServiceClient impatient;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        this.dir = dir;
        server = TestServers.start(dir, """
                lakeshard.server.max-concurrent-queries-per-tenant = 1
                lakeshard.server.api-keys = [ { tenant = "acme", sha256 = "%s" } ]
                """.formatted(ApiKeys.sha256(KEY)));
        client = LakeshardClient.connect("127.0.0.1", server.port(), KEY);
        client.register(SPANS, SpanBatches.SCHEMA, List.of(), "start_time", null);
        long start = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now().minus(Duration.ofHours(1)));
        try (VectorSchemaRoot rows = SpanBatches.batch(client.allocator(), 0, 10_000, start, 1_000L)) {
            client.write(SPANS, rows, "loader", 1);
        }
        grpcSystem = ActorSystem.create(Behaviors.empty(), "grpc-client", ConfigFactory.parseString("akka.loglevel = WARNING"));
        // A stock client: the 4 MiB inbound message limit grpc-java and most clients keep by default.
        GrpcClientSettings settings = GrpcClientSettings.connectToServiceAt("127.0.0.1", server.port(), grpcSystem)
                .withChannelBuilderOverrides(builder -> FixedAddressResolver.pin(builder, new InetSocketAddress("127.0.0.1", server.port()))).withTls(false);
        queries = QueryServiceClient.create(settings, grpcSystem);
        impatient = QueryServiceClient.create(settings.withDeadline(Duration.ofSeconds(2)), grpcSystem);
    }

    @AfterAll
    void stop() throws Exception {
        queries.close();
        impatient.close();
        grpcSystem.terminate();
        client.close();
        server.close();
    }

    @Test
    void sqlMistakesAreInvalidArgumentWithDuckDbsMessage() {
        Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        root.addAppender(logged);
        try {
            refuseMistakes();
        } finally {
            root.detachAppender(logged);
        }
        assertEquals(List.of(), logged.list.stream().filter(event -> event.getLevel().isGreaterOrEqual(Level.ERROR))
                .map(ILoggingEvent::getFormattedMessage).toList(), "a user's mistake is not logged as the server's error");
    }

    private void refuseMistakes() {
        assertRefused("SELECT no_such_column FROM obs.traces.spans", "Binder Error", "no_such_column");
        assertRefused("SELECT no_such_function(span_name) FROM obs.traces.spans", "Catalog Error", "no_such_function");
        assertRefused("SELECT span_name + 1 FROM obs.traces.spans", "Binder Error", "+");
        // Only found while rows are produced: the failure comes mid-stream.
        assertRefused("SELECT CAST(span_name AS INTEGER) FROM obs.traces.spans", "Conversion Error", "INT");
        assertRefused("SELEC 1", "syntax error", "SELEC");
        // DuckDB sends an ENUM dictionary-encoded, and no door sends dictionaries: refused, naming the column.
        assertRefused("SELECT 'error'::ENUM('ok', 'error') AS level", "ENUM", "level::VARCHAR");
        assertRefused("SELECT [CAST('ok' AS ENUM('ok', 'error'))] AS levels", "ENUM values", "'levels'");
    }

    @Test
    void anEnumCastToVarcharComesBack() {
        try (QueryResults results = client.query("SELECT 'error'::ENUM('ok', 'error')::VARCHAR AS level")) {
            assertTrue(results.next());
            assertEquals("error", results.batch().getVector("level").getObject(0).toString());
            assertFalse(results.next());
        }
        // The tenant's one slot comes back as the stream ends on the server, after the client saw its end.
        TestCluster.await(Duration.ofSeconds(15), () -> server.service().node().queries().runningQueries() == 0,
                "the query's slot to come back");
    }

    private void assertRefused(String sql, String kind, String detail) {
        LakeshardException error = assertThrows(LakeshardException.class, () -> {
            try (QueryResults results = client.query(sql)) {
                while (results.next()) {
                    // drain
                }
            }
        }, sql);
        assertEquals(Status.Code.INVALID_ARGUMENT, error.code(), sql + ": " + error.getMessage());
        assertTrue(error.getMessage().contains(kind) && error.getMessage().contains(detail), sql + ": " + error.getMessage());
        assertFalse(error.getMessage().contains(dir.toString()), "no storage paths: " + error.getMessage());
    }

    @Test
    void theMemoryLimitIsResourceExhausted() {
        // Every pair of 10,000 spans, each with a 2 KB string, held in one list: far over the 256 MB limit.
        LakeshardException error = assertThrows(LakeshardException.class, () -> {
            try (QueryResults results = client.query("SELECT list(repeat(a.span_name, 200) || b.span_name) AS everything "
                    + "FROM obs.traces.spans a, obs.traces.spans b")) {
                while (results.next()) {
                    // drain
                }
            }
        });
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, error.code(), error.getMessage());
        assertTrue(error.getMessage().contains("Out of Memory Error"), error.getMessage());
    }

    @Test
    void aCallerThatGivesUpStopsItsQuery() throws Exception {
        ExecutionException late = assertThrows(ExecutionException.class, () -> impatient.query()
                .addHeader("authorization", "Bearer " + KEY)
                .invoke(QueryRequest.newBuilder().setSql(SLOW).build())
                .runWith(Sink.seq(), grpcSystem).toCompletableFuture().get(60, TimeUnit.SECONDS));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, ((StatusRuntimeException) late.getCause()).getStatus().getCode());
        // The server's own timeout is minutes; the client's deadline ended the query, and the tenant's one slot is free.
        TestCluster.await(Duration.ofSeconds(15), () -> server.service().node().queries().runningQueries() == 0,
                "the query to stop after its caller's deadline");
        assertTrue(client.runningQueries().isEmpty());

        QueryResults abandoned = client.query(QueryRequest.newBuilder().setSql(SLOW).build());
        abandoned.queryId();
        TestCluster.await(Duration.ofSeconds(15), () -> server.service().node().queries().runningQueries() == 1, "the query to run");
        abandoned.close();
        TestCluster.await(Duration.ofSeconds(15), () -> server.service().node().queries().runningQueries() == 0,
                "the query to stop when its caller closed the stream");
        try (QueryResults next = client.query("SELECT 1 AS one")) {
            assertTrue(next.next(), "the slot is free again");
        }
    }

    @Test
    void wideResultsComeInMessagesEveryClientAcceptsAndTheLimitIsKnownFirst() throws Exception {
        List<QueryResponse> responses = queries.query().addHeader("authorization", "Bearer " + KEY)
                .invoke(QueryRequest.newBuilder().setSql("SELECT span_id, repeat(span_name, 400) AS wide FROM obs.traces.spans")
                        .setRowLimit(9_000).build())
                .runWith(Sink.seq(), grpcSystem).toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertTrue(responses.get(0).hasStarted(), "the query's id and limit come first");
        assertEquals(9_000, responses.get(0).getStarted().getRowLimit());
        long bytes = 0;
        for (QueryResponse response : responses) {
            assertTrue(response.getSerializedSize() <= (1 << 20) + 64, "a message of " + response.getSerializedSize() + " bytes");
            bytes += response.getArrowIpc().size();
        }
        assertTrue(bytes > 8 << 20, "the result (" + bytes + " bytes) spans many messages");
        QueryResponse last = responses.get(responses.size() - 1);
        assertEquals(9_000, last.getSummary().getRows());
        assertTrue(last.getSummary().getTruncated(), "10,000 rows matched");
    }
}
