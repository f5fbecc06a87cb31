package io.lakeshard.server.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.lakeshard.testing.TestCertificates;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The one part of a Kubernetes API server that cluster bootstrap uses: listing a namespace's pods by label, over
 * TLS with a bearer token, plus the service-account files a pod finds mounted (CA certificate, token, namespace).
 * The pods it lists are the test's running server processes, as the kubelet would report them.
 */
final class KubernetesApi implements AutoCloseable {
    private static final String TOKEN = "lakeshard-test-service-account-token";

    private final HttpsServer server;
    private final Path serviceAccount;
    private final String namespace;
    private final String labelSelector;
    private final List<String> podIps = new CopyOnWriteArrayList<>();
    private final AtomicInteger podListings = new AtomicInteger();

    private KubernetesApi(HttpsServer server, Path serviceAccount, String namespace, String labelSelector) {
        this.server = server;
        this.serviceAccount = serviceAccount;
        this.namespace = namespace;
        this.labelSelector = labelSelector;
    }

    static KubernetesApi start(Path dir, String namespace, String labelSelector) throws Exception {
        Path serviceAccount = Files.createDirectories(dir.resolve("serviceaccount"));
        Path keystore = TestCertificates.loopbackKeystore(dir.resolve("api-server.p12"), "changeit");
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            keys.load(in, "changeit".toCharArray());
        }
        // The certificate is its own CA: what a pod finds as ca.crt.
        Files.writeString(serviceAccount.resolve("ca.crt"), "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(keys.getCertificate("server").getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        Files.writeString(serviceAccount.resolve("token"), TOKEN);
        Files.writeString(serviceAccount.resolve("namespace"), namespace);

        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, "changeit".toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keyManagers.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        KubernetesApi api = new KubernetesApi(server, serviceAccount, namespace, labelSelector);
        server.createContext("/", api::handle);
        server.start();
        return api;
    }

    /** The pods the API lists from now on: those running, as the kubelet reports them. */
    void pods(List<String> ips) {
        podIps.clear();
        podIps.addAll(ips);
    }

    /** How many pod listings were answered with pods: the nodes really asked the API. */
    int podListings() {
        return podListings.get();
    }

    /** What Kubernetes puts in a pod's environment. */
    Map<String, String> environment() {
        return Map.of("KUBERNETES_SERVICE_HOST", "127.0.0.1", "KUBERNETES_SERVICE_PORT", Integer.toString(server.getAddress().getPort()));
    }

    /** Where a pod finds its service account; the files are mounted at fixed paths there, which this points at. */
    String serviceAccountOptions() {
        return String.join(" ",
                "-Dakka.discovery.kubernetes-api.api-ca-path=" + serviceAccount.resolve("ca.crt"),
                "-Dakka.discovery.kubernetes-api.api-token-path=" + serviceAccount.resolve("token"),
                "-Dakka.discovery.kubernetes-api.pod-namespace-path=" + serviceAccount.resolve("namespace"));
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String query = exchange.getRequestURI().getRawQuery() == null ? "" : exchange.getRequestURI().getRawQuery();
            if (!("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                exchange.sendResponseHeaders(401, -1);
                return;
            }
            if (!path.equals("/api/v1/namespaces/" + namespace + "/pods")) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            String selector = URLDecoder.decode(query.replaceFirst("^.*labelSelector=([^&]*).*$", "$1"), StandardCharsets.UTF_8);
            ObjectMapper json = new ObjectMapper();
            ObjectNode list = json.createObjectNode().put("kind", "PodList").put("apiVersion", "v1");
            ArrayNode items = list.putArray("items");
            if (selector.equals(labelSelector)) {
                for (String ip : podIps) {
                    ObjectNode pod = items.addObject();
                    pod.putObject("metadata").put("name", "lakeshard-" + ip.replace('.', '-')).put("namespace", namespace);
                    pod.putObject("spec").putArray("containers").addObject().put("name", "lakeshard")
                            .putArray("ports").addObject().put("name", "management").put("containerPort", 8558);
                    ObjectNode status = pod.putObject("status").put("podIP", ip).put("phase", "Running");
                    status.putArray("containerStatuses").addObject().put("name", "lakeshard").putObject("state").putObject("running");
                }
                if (!podIps.isEmpty()) {
                    podListings.incrementAndGet();
                }
            }
            byte[] body = json.writeValueAsBytes(list);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
