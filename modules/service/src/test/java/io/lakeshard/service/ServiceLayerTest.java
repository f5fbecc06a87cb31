package io.lakeshard.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.lakeshard.cluster.TestCluster;
import io.lakeshard.service.ServiceException.Code;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.service.query.QuerySpec;
import io.lakeshard.service.query.QueryStream;
import io.lakeshard.storage.dataset.DatasetName;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The use cases called directly, as any door calls them, on a real one-node cluster: authentication, admission,
 * the tenant scoping of query ids, and roles — with no transport in between.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServiceLayerTest {
    private static final Principal ACME = Principal.tenant("acme");
    private static final Principal GLOBEX = Principal.tenant("globex");

    private LakeshardService service;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        TestCluster cluster = new TestCluster(dir, 1, """
                lakeshard.server.max-concurrent-queries-per-tenant = 1
                lakeshard.server.api-keys = [ { tenant = "acme", sha256 = "%s", admin = true } ]
                """.formatted(ApiKeys.sha256("acme-key")));
        service = LakeshardService.start(LakeshardService.config(cluster.config(0), ConfigFactory.empty()));
    }

    @AfterAll
    void stop() throws Exception {
        service.close();
    }

    @Test
    void keysBecomePrincipals() {
        assertEquals(Principal.admin("acme"), service.keys().authenticateHeader(Optional.of("Bearer acme-key")));
        assertEquals(Principal.admin("acme"), service.keys().authenticate("acme-key"));
        assertEquals(Code.UNAUTHENTICATED, assertThrows(ServiceException.class,
                () -> service.keys().authenticate("guess")).code());
        ServiceException missing = assertThrows(ServiceException.class, () -> service.keys().authenticateHeader(Optional.empty()));
        assertEquals(Code.UNAUTHENTICATED, missing.code());
        assertTrue(missing.getMessage().contains("authorization: Bearer"), missing.getMessage());
        assertTrue(service.developmentKey().isEmpty(), "keys were configured: no development key");
    }

    @Test
    void aWriteOverTheLimitSaysTheRealLimitAndHowToSplit() {
        long limit = service.settings().maxMessageBytes();
        service.ingest().checkSize(limit);
        ServiceException refused = assertThrows(ServiceException.class, () -> service.ingest().checkSize(limit + 1));
        assertEquals(Code.RESOURCE_EXHAUSTED, refused.code());
        for (String part : List.of("limit of " + limit + " bytes for one write", "WriteStream chunks",
                "lakeshard.server.max-message-bytes", "several writes", "next sequence")) {
            assertTrue(refused.getMessage().contains(part), refused.getMessage());
        }
    }

    @Test
    void aTenantRunsAtMostItsShareOfQueriesAndOthersAreNotHeldUp() {
        QueryStream first = service.queries().start(ACME, QuerySpec.of("SELECT 1 AS one"));
        ServiceException refused = assertThrows(ServiceException.class, () -> service.queries().start(ACME, QuerySpec.of("SELECT 2")));
        assertEquals(Code.RESOURCE_EXHAUSTED, refused.code());
        try (QueryStream other = service.queries().start(GLOBEX, QuerySpec.of("SELECT 3 AS three")).open()) {
            assertTrue(other.next());
            assertEquals(3, ((Number) other.batch().getVector("three").getObject(0)).intValue());
        }
        first.close();
        try (QueryStream again = service.queries().start(ACME, QuerySpec.of("SELECT 4 AS four")).open()) {
            assertTrue(again.next(), "the slot came back when the first query closed");
        }
    }

    @Test
    void onlyTheOwnerSeesOrCancelsAQueryAndACancelBeforeItRunsStopsIt() throws Exception {
        try (QueryStream query = service.queries().start(ACME, QuerySpec.of("SELECT 1 AS one"))) {
            assertEquals(List.of(), service.queries().running(GLOBEX).toCompletableFuture().get(10, TimeUnit.SECONDS));
            assertFalse(service.queries().cancel(GLOBEX, query.id()).toCompletableFuture().get(10, TimeUnit.SECONDS));
            assertEquals(List.of(query.id()), service.queries().running(ACME).toCompletableFuture().get(10, TimeUnit.SECONDS)
                    .stream().map(info -> info.queryId()).toList());
            assertTrue(service.queries().cancel(ACME, query.id()).toCompletableFuture().get(10, TimeUnit.SECONDS));
            assertEquals(Code.DEADLINE_EXCEEDED, assertThrows(ServiceException.class, query::open).code());
        }
        assertEquals(List.of(), service.queries().running(ACME).toCompletableFuture().get(10, TimeUnit.SECONDS));
    }

    @Test
    void adminCallsNeedTheAdminRoleAndUnknownDatasetsAreNotFound() throws Exception {
        ServiceException denied = assertThrows(ServiceException.class,
                () -> service.admin().optimize(ACME, DatasetName.parse("a.b.c"), Optional.empty()));
        assertEquals(Code.PERMISSION_DENIED, denied.code());
        ServiceException missing = assertThrows(ServiceException.class, () -> await(
                service.admin().optimize(Principal.admin("acme"), DatasetName.parse("a.b.c"), Optional.empty())));
        assertEquals(Code.NOT_FOUND, missing.code());
        assertEquals(Code.NOT_FOUND, assertThrows(ServiceException.class,
                () -> await(service.datasets().get(ACME, DatasetName.parse("a.b.c")))).code());
    }

    private static <T> T await(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw ServiceErrors.map(e.getCause());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
