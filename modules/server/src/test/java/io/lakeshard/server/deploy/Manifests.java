package io.lakeshard.server.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The Kubernetes manifests under {@code deploy/k8s}, rendered by {@code kubectl kustomize} as an operator would,
 * and checked against the Kubernetes API schema through the official Java client's generated models.
 */
final class Manifests {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<JsonNode> documents;

    private Manifests(List<JsonNode> documents) {
        this.documents = List.copyOf(documents);
    }

    static Path repository() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("deploy/k8s"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no deploy/k8s above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    /** {@code kubectl kustomize deploy/k8s/<kustomization>}. */
    static Manifests render(String kustomization) throws IOException, InterruptedException {
        Path dir = repository().resolve("deploy/k8s").resolve(kustomization);
        Path out = Files.createTempFile("kustomize", ".yaml");
        Path err = Files.createTempFile("kustomize", ".err");
        try {
            Process kubectl;
            try {
                kubectl = new ProcessBuilder("kubectl", "kustomize", dir.toString())
                        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            } catch (IOException e) {
                throw new IllegalStateException("kubectl is not installed; .ci/run installs it (Debian package kubernetes-client)", e);
            }
            if (!kubectl.waitFor(2, TimeUnit.MINUTES) || kubectl.exitValue() != 0) {
                kubectl.destroyForcibly();
                throw new IllegalStateException("kubectl kustomize " + dir + " failed: " + Files.readString(err));
            }
            return new Manifests(parse(Files.readString(out)));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    static List<JsonNode> parse(String yaml) throws IOException {
        List<JsonNode> documents = new ArrayList<>();
        ObjectMapper mapper = new ObjectMapper(new YAMLFactory());
        try (YAMLParser parser = new YAMLFactory().createParser(yaml)) {
            var values = mapper.readValues(parser, JsonNode.class);
            while (values.hasNext()) {
                JsonNode document = values.next();
                if (document != null && !document.isNull() && !document.isEmpty()) {
                    documents.add(document);
                }
            }
        }
        return documents;
    }

    List<JsonNode> documents() {
        return documents;
    }

    /**
     * Checks one document against the schema of its kind: every field must be one the API defines, with the
     * required ones present. Throws with the API's own message otherwise.
     */
    static void validate(JsonNode document) throws IOException {
        String kind = document.path("kind").asText();
        String apiVersion = document.path("apiVersion").asText();
        String version = apiVersion.contains("/") ? apiVersion.substring(apiVersion.indexOf('/') + 1) : apiVersion;
        String model = "io.kubernetes.client.openapi.models." + Character.toUpperCase(version.charAt(0)) + version.substring(1) + kind;
        try {
            Method validate = Class.forName(model).getMethod("validateJsonElement", JsonElement.class);
            validate.invoke(null, JsonParser.parseString(JSON.writeValueAsString(document)));
        } catch (ClassNotFoundException e) {
            throw new IOException("no schema for " + apiVersion + " " + kind, e);
        } catch (ReflectiveOperationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IOException(kind + " " + document.path("metadata").path("name").asText() + ": " + cause.getMessage(), cause);
        }
    }

    List<JsonNode> ofKind(String kind) {
        return documents.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
    }

    JsonNode one(String kind, String namePrefix) {
        List<JsonNode> matching = ofKind(kind).stream()
                .filter(d -> d.path("metadata").path("name").asText().startsWith(namePrefix)).toList();
        if (matching.size() != 1) {
            throw new AssertionError("expected one " + kind + " named " + namePrefix + "*, found " + matching.size());
        }
        return matching.get(0);
    }

    Optional<JsonNode> named(String kind, String name) {
        return ofKind(kind).stream().filter(d -> d.path("metadata").path("name").asText().equals(name)).findFirst();
    }

    /** The lakeshard container of the Deployment. */
    JsonNode serverContainer() {
        for (JsonNode container : one("Deployment", "lakeshard").path("spec").path("template").path("spec").path("containers")) {
            if (container.path("name").asText().equals("lakeshard")) {
                return container;
            }
        }
        throw new AssertionError("no container named lakeshard");
    }

    /** A Secret's entries, decoded. */
    static Map<String, String> secretData(JsonNode secret) {
        Map<String, String> values = new LinkedHashMap<>();
        secret.path("data").fields().forEachRemaining(entry -> values.put(entry.getKey(),
                new String(Base64.getMimeDecoder().decode(entry.getValue().asText()), StandardCharsets.UTF_8)));
        secret.path("stringData").fields().forEachRemaining(entry -> values.put(entry.getKey(), entry.getValue().asText()));
        return values;
    }

    /** A Secret's value as bytes, for binary files such as keystores. */
    static byte[] secretBytes(JsonNode secret, String key) {
        JsonNode value = secret.path("data").path(key);
        if (value.isMissingNode()) {
            throw new AssertionError("secret " + secret.path("metadata").path("name").asText() + " has no " + key);
        }
        return Base64.getMimeDecoder().decode(value.asText());
    }

    static Map<String, String> configMapData(JsonNode configMap) {
        Map<String, String> values = new LinkedHashMap<>();
        configMap.path("data").fields().forEachRemaining(entry -> values.put(entry.getKey(), entry.getValue().asText()));
        return values;
    }
}
