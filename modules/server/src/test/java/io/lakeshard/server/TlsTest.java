package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status.Code;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.testing.TestCertificates;
import io.lakeshard.client.LakeshardException;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.storage.AllTypes;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API over TLS, with a certificate the JDK's keytool makes for 127.0.0.1. */
class TlsTest {
    private static final String KEY = "tls-key";
    private static final String PASSWORD = "changeit";

    @Test
    void aTlsServerServesTlsClientsAndRefusesPlaintext(@TempDir Path dir) throws Exception {
        Path keystore = TestCertificates.loopbackKeystore(dir.resolve("server.p12"), PASSWORD);

        try (LakeshardServer server = TestServers.start(dir.resolve("server"), """
                lakeshard.server.api-keys = [{ tenant = "acme", sha256 = "%s" }]
                lakeshard.server.tls { enabled = true, keystore = "%s", keystore-password = "%s" }
                """.formatted(ApiKeys.sha256(KEY), keystore, PASSWORD))) {
            try (LakeshardClient client = LakeshardClient.connectTls("127.0.0.1", server.port(), KEY, keystore, PASSWORD)) {
                assertTrue(client.register("tls.test.t", AllTypes.SCHEMA, List.of()).getCreated());
                assertEquals(List.of("tls.test.t"), client.datasets().stream().map(d -> d.getName()).toList());
                try (var results = client.query("SELECT 1 AS one, 'x' AS letter")) {
                    var rows = results.rows();
                    assertTrue(rows.hasNext());
                    assertEquals(Map.of("one", 1, "letter", "x"), rows.next());
                    assertTrue(!rows.hasNext());
                }
            }
            try (LakeshardClient plaintext = LakeshardClient.connect("127.0.0.1", server.port(), KEY)) {
                LakeshardException refused = assertThrows(LakeshardException.class, plaintext::datasets);
                assertEquals(Code.UNAVAILABLE, refused.code(), refused.getMessage());
            }
        }
    }
}
