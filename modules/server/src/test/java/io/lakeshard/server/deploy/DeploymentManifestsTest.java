package io.lakeshard.server.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.ByteArrayInputStream;
import java.security.KeyStore;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The manifests render with kubectl's kustomize, pass the Kubernetes API schema, and fit together. */
class DeploymentManifestsTest {

    @Test
    void baseAndDevOverlayRenderAndEveryDocumentPassesTheApiSchema() throws Exception {
        for (String kustomization : List.of("base", "overlays/dev")) {
            Manifests manifests = Manifests.render(kustomization);
            assertFalse(manifests.documents().isEmpty(), kustomization);
            for (JsonNode document : manifests.documents()) {
                Manifests.validate(document);
            }
        }
    }

    @Test
    void theSchemaCheckCatchesAMisspelledField() throws Exception {
        JsonNode deployment = Manifests.render("base").one("Deployment", "lakeshard").deepCopy();
        ((ObjectNode) deployment.path("spec").path("template").path("spec")).put("serviceAcountName", "lakeshard");
        IOException e = assertThrows(IOException.class, () -> Manifests.validate(deployment));
        assertTrue(e.getMessage().contains("serviceAcountName"), e.getMessage());
    }

    @Test
    void theDeploymentBootstrapsThroughTheKubernetesApiAndIsProbedOnManagement() throws Exception {
        Manifests base = Manifests.render("base");
        JsonNode deployment = base.one("Deployment", "lakeshard");
        JsonNode pod = deployment.path("spec").path("template");
        JsonNode container = base.serverContainer();
        Set<String> ports = new HashSet<>();
        container.path("ports").forEach(port -> ports.add(port.path("name").asText()));
        assertEquals(Set.of("grpc", "flight-sql", "management", "remoting"), ports);
        assertEquals("/ready", container.path("readinessProbe").path("httpGet").path("path").asText());
        assertEquals("management", container.path("readinessProbe").path("httpGet").path("port").asText());
        assertEquals("/alive", container.path("livenessProbe").path("httpGet").path("path").asText());
        assertEquals("management", container.path("livenessProbe").path("httpGet").path("port").asText());
        assertTrue(pod.path("spec").path("securityContext").path("runAsNonRoot").asBoolean());
        assertEquals(0, deployment.path("spec").path("strategy").path("rollingUpdate").path("maxUnavailable").asInt(-1),
                "a rolling update never takes a node away before its replacement is ready");

        Map<String, String> env = new HashMap<>();
        container.path("env").forEach(e -> env.put(e.path("name").asText(),
                e.has("value") ? e.path("value").asText() : e.path("valueFrom").path("fieldRef").path("fieldPath").asText()));
        assertEquals("status.podIP", env.get("LAKESHARD_HOST"), "members reach each other by pod IP");
        assertTrue(env.containsKey("LAKESHARD_APP_VERSION"), "sharding needs the app version to prefer new pods");
        assertTrue(env.get("JAVA_OPTS").contains("-Djava.io.tmpdir=/var/lib/lakeshard-tmp"), env.get("JAVA_OPTS"));
        assertEquals("tls-tcp", env.get("LAKESHARD_REMOTE_TRANSPORT"), "remoting with mutual TLS, on by default");
        assertEquals("/etc/lakeshard/remoting/keystore.p12", env.get("LAKESHARD_REMOTE_TLS_KEYSTORE"));
        Set<String> mounts = new HashSet<>();
        container.path("volumeMounts").forEach(mount -> mounts.add(mount.path("mountPath").asText()));
        assertTrue(mounts.contains("/etc/lakeshard/remoting"), "the remoting key is mounted where the keystore setting points");

        Map<String, String> config = Manifests.configMapData(base.one("ConfigMap", "lakeshard-config"));
        assertEquals("kubernetes-api", config.get("LAKESHARD_CLUSTER_DISCOVERY"));
        assertEquals("postgres", config.get("LAKESHARD_JOURNAL_KIND"));
        assertTrue(config.get("LAKESHARD_STORAGE_ROOT").startsWith("s3a://"));
        assertTrue(config.get("LAKESHARD_IMPORT_ROOTS").startsWith("s3a://"), "tenants import from the bucket's import/ prefix");

        JsonNode role = base.one("Role", "lakeshard-pod-reader");
        JsonNode rule = role.path("rules").get(0);
        assertEquals("pods", rule.path("resources").get(0).asText());
        Set<String> verbs = new HashSet<>();
        rule.path("verbs").forEach(v -> verbs.add(v.asText()));
        assertTrue(verbs.contains("list"), "bootstrap lists the pods");
        JsonNode binding = base.one("RoleBinding", "lakeshard-pod-reader");
        assertEquals(pod.path("spec").path("serviceAccountName").asText(), binding.path("subjects").get(0).path("name").asText());

        String app = pod.path("metadata").path("labels").path("app").asText();
        assertEquals("lakeshard", app, "the pod-label-selector of Kubernetes discovery is app=<service name>");
        for (JsonNode service : base.ofKind("Service")) {
            assertEquals(app, service.path("spec").path("selector").path("app").asText(), service.toString());
        }
        Set<String> served = new HashSet<>();
        base.named("Service", "lakeshard").orElseThrow().path("spec").path("ports").forEach(port -> served.add(port.path("targetPort").asText()));
        assertEquals(Set.of("grpc", "flight-sql"), served, "clients reach the API and Flight SQL through the Service");
        assertEquals(app, base.one("PodDisruptionBudget", "lakeshard").path("spec").path("selector").path("matchLabels").path("app").asText());
        assertEquals(1, base.one("PodDisruptionBudget", "lakeshard").path("spec").path("maxUnavailable").asInt());
    }

    @Test
    void theDevOverlayAddsTheStoresAndEveryReferenceResolves() throws Exception {
        Manifests dev = Manifests.render("overlays/dev");
        assertTrue(dev.named("Service", "postgres").isPresent());
        assertTrue(dev.named("Service", "minio").isPresent());
        JsonNode container = dev.serverContainer();
        for (JsonNode source : container.path("envFrom")) {
            String configMap = source.path("configMapRef").path("name").asText("");
            String secret = source.path("secretRef").path("name").asText("");
            assertTrue(configMap.isEmpty() || dev.named("ConfigMap", configMap).isPresent(), configMap);
            assertTrue(secret.isEmpty() || dev.named("Secret", secret).isPresent(), secret);
        }
        for (JsonNode volume : dev.one("Deployment", "lakeshard").path("spec").path("template").path("spec").path("volumes")) {
            String secret = volume.path("secret").path("secretName").asText("");
            assertTrue(secret.isEmpty() || dev.named("Secret", secret).isPresent(), secret);
        }
        Map<String, String> config = Manifests.configMapData(dev.one("ConfigMap", "lakeshard-config"));
        assertEquals("http://minio:9000", config.get("LAKESHARD_S3_ENDPOINT"));
        assertEquals("kubernetes-api", config.get("LAKESHARD_CLUSTER_DISCOVERY"), "the overlay keeps the base's settings");
        Map<String, String> apiKeys = Manifests.secretData(dev.one("Secret", "lakeshard-api-keys"));
        assertTrue(apiKeys.get("api-keys.conf").contains("lakeshard.server.api-keys"));
        for (JsonNode env : container.path("env")) {
            JsonNode reference = env.path("valueFrom").path("secretKeyRef");
            if (!reference.isMissingNode()) {
                JsonNode secret = dev.named("Secret", reference.path("name").asText()).orElseThrow(() -> new AssertionError(env.toString()));
                assertTrue(secret.path("data").has(reference.path("key").asText()), env.toString());
            }
        }
        KeyStore remoting = KeyStore.getInstance("PKCS12");
        JsonNode remotingSecret = dev.one("Secret", "lakeshard-remoting-tls");
        remoting.load(new ByteArrayInputStream(Manifests.secretBytes(remotingSecret, "keystore.p12")),
                Manifests.secretData(remotingSecret).get("password").toCharArray());
        assertTrue(remoting.aliases().hasMoreElements(), "the dev remoting keystore opens with its password");
    }
}
