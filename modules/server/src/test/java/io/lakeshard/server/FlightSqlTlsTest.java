package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lakeshard.testing.TestCertificates;
import io.lakeshard.service.auth.ApiKeys;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Base64;
import java.util.Collections;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.sql.FlightSqlClient;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Flight SQL serves TLS from the API's keystore: a client that trusts it connects, a plain-text one does not. */
class FlightSqlTlsTest {
    private static final String KEY = "tls-flight-key";
    private static final String PASSWORD = "changeit";

    @Test
    void flightSqlUsesTheApisKeystore(@TempDir Path dir) throws Exception {
        Path keystore = TestCertificates.loopbackKeystore(dir.resolve("server.p12"), PASSWORD);
        try (LakeshardServer server = TestServers.start(dir.resolve("data"), """
                lakeshard.server.tls { enabled = true, keystore = "%s", keystore-password = "%s" }
                lakeshard.server.api-keys = [{ tenant = "acme", sha256 = "%s" }]
                """.formatted(keystore, PASSWORD, ApiKeys.sha256(KEY)))) {
            // The client trusts the certificates of the API's keystore; then a query works over TLS.
            try (BufferAllocator allocator = new RootAllocator();
                    FlightClient client = FlightClient.builder(allocator, Location.forGrpcTls("127.0.0.1", server.flightPort().getAsInt()))
                            .trustedCertificates(new ByteArrayInputStream(pem(keystore).getBytes(StandardCharsets.US_ASCII))).build();
                    FlightSqlClient sql = new FlightSqlClient(client)) {
                FlightInfo info = sql.execute("SELECT 42 AS answer", FlightSqlJdbcTest.bearer(KEY));
                assertEquals(1, FlightSqlJdbcTest.drain(sql.getStream(info.getEndpoints().get(0).getTicket(), FlightSqlJdbcTest.bearer(KEY))));
            }
            String base = "jdbc:arrow-flight-sql://127.0.0.1:" + server.flightPort().getAsInt();
            assertThrows(SQLException.class, () -> DriverManager.getConnection(base + "?useEncryption=false&user=u&password=" + KEY)
                    .createStatement().executeQuery("SELECT 1"), "plain text is not served when TLS is on");
        }
    }

    private static String pem(Path keystore) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            store.load(in, PASSWORD.toCharArray());
        }
        StringBuilder pem = new StringBuilder();
        for (String alias : Collections.list(store.aliases())) {
            Certificate[] chain = store.getCertificateChain(alias);
            for (Certificate certificate : chain == null ? new Certificate[] {store.getCertificate(alias)} : chain) {
                pem.append("-----BEGIN CERTIFICATE-----\n")
                        .append(Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(certificate.getEncoded()))
                        .append("\n-----END CERTIFICATE-----\n");
            }
        }
        return pem.toString();
    }
}
