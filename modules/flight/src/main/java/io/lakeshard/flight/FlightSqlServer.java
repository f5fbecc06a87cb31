package io.lakeshard.flight;

import static java.util.Objects.requireNonNull;

import io.lakeshard.service.LakeshardService;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.time.Clock;
import java.util.Base64;
import java.util.Collections;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.FlightServer;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.sql.SqlInfoBuilder;
import org.apache.arrow.flight.sql.impl.FlightSql.SqlSupportedCaseSensitivity;
import org.apache.arrow.flight.sql.impl.FlightSql.SqlSupportedTransaction;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The Arrow Flight SQL endpoint of a node: a Flight (gRPC over Netty) server on a port of its own, in front of the
 * node's service layer, authenticated by the service's API keys.
 */
public final class FlightSqlServer implements AutoCloseable {
    private final FlightServer server;
    private final BufferAllocator allocator;

    private FlightSqlServer(FlightServer server, BufferAllocator allocator) {
        this.server = requireNonNull(server, "server is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
    }

    public static FlightSqlServer start(LakeshardService service, FlightSettings settings) throws IOException {
        requireNonNull(service, "service is null");
        requireNonNull(settings, "settings is null");
        BufferAllocator allocator = service.allocator().newChildAllocator("flight", 0, Long.MAX_VALUE);
        try {
            LakeshardFlightSqlProducer producer = new LakeshardFlightSqlProducer(service.queries(), service.ingest(),
                    service.settings(), FlightTickets.from(settings, Clock.systemUTC()), allocator, sqlInfo());
            Location location = settings.tls().isPresent()
                    ? Location.forGrpcTls(settings.host(), settings.port())
                    : Location.forGrpcInsecure(settings.host(), settings.port());
            FlightServer.Builder builder = FlightServer.builder(allocator, location, producer)
                    .headerAuthenticator(new ApiKeyAuthenticator(service.keys()))
                    .maxInboundMessageSize((int) Math.min(Integer.MAX_VALUE, service.settings().maxMessageBytes() + (1 << 20)));
            if (settings.tls().isPresent()) {
                Pem pem = pem(settings.tls().get());
                builder.useTls(pem.certificates(), pem.key());
            }
            FlightServer server = builder.build().start();
            return new FlightSqlServer(server, allocator);
        } catch (IOException | RuntimeException e) {
            allocator.close();
            throw e;
        }
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdown();
        if (!server.awaitTermination(10, TimeUnit.SECONDS)) {
            server.close();
        }
        allocator.close();
    }

    /** What GetSqlInfo answers: DuckDB's SQL, read-only through this door (writes go through ingest). */
    private static SqlInfoBuilder sqlInfo() {
        return new SqlInfoBuilder()
                .withFlightSqlServerName("Lakeshard")
                .withFlightSqlServerVersion(version())
                .withFlightSqlServerArrowVersion(FlightServer.class.getPackage().getImplementationVersion() == null
                        ? "18" : FlightServer.class.getPackage().getImplementationVersion())
                .withFlightSqlServerReadOnly(true)
                .withFlightSqlServerSql(true)
                .withFlightSqlServerSubstrait(false)
                .withFlightSqlServerTransaction(SqlSupportedTransaction.SQL_SUPPORTED_TRANSACTION_NONE)
                .withFlightSqlServerCancel(true)
                .withFlightSqlServerBulkIngestion(true)
                .withFlightSqlServerBulkIngestionTransaction(false)
                .withSqlDdlCatalog(false)
                .withSqlDdlSchema(false)
                .withSqlDdlTable(false)
                .withSqlIdentifierQuoteChar("\"")
                .withSqlIdentifierCase(SqlSupportedCaseSensitivity.SQL_CASE_SENSITIVITY_LOWERCASE)
                .withSqlQuotedIdentifierCase(SqlSupportedCaseSensitivity.SQL_CASE_SENSITIVITY_CASE_INSENSITIVE)
                .withSqlSearchStringEscape("\\")
                .withSqlCatalogTerm("catalog")
                .withSqlSchemaTerm("schema")
                .withSqlSupportsColumnAliasing(true)
                .withSqlNullPlusNullIsNull(true)
                .withSqlSupportsTableCorrelationNames(true)
                .withSqlSupportsExpressionsInOrderBy(true)
                .withSqlSupportsOrderByUnrelated(true)
                .withSqlSupportsLikeEscapeClause(true);
    }

    private static String version() {
        String version = FlightSqlServer.class.getPackage().getImplementationVersion();
        return version == null ? "development" : version;
    }

    private record Pem(InputStream certificates, InputStream key) {}

    /** Flight's TLS takes PEM: the API's PKCS12 keystore (its first key entry) as PEM, in memory. */
    private static Pem pem(FlightSettings.Tls tls) throws IOException {
        char[] password = tls.password().toCharArray();
        try (InputStream in = Files.newInputStream(tls.keystore())) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            for (String alias : Collections.list(store.aliases())) {
                if (!store.isKeyEntry(alias)) {
                    continue;
                }
                Key key = store.getKey(alias, password);
                if (!(key instanceof PrivateKey)) {
                    continue;
                }
                StringBuilder chain = new StringBuilder();
                for (Certificate certificate : store.getCertificateChain(alias)) {
                    chain.append(block("CERTIFICATE", certificate.getEncoded()));
                }
                return new Pem(new ByteArrayInputStream(chain.toString().getBytes(StandardCharsets.US_ASCII)),
                        new ByteArrayInputStream(block("PRIVATE KEY", key.getEncoded()).getBytes(StandardCharsets.US_ASCII)));
            }
            throw new IOException("lakeshard.server.tls.keystore holds no private key");
        } catch (GeneralSecurityException e) {
            throw new IOException("lakeshard.server.tls.keystore cannot be read: " + e.getMessage(), e);
        }
    }

    private static String block(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
