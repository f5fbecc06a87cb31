package io.lakeshard.server.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.cluster.TestCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** What a pod's management port (8558) tells: cluster membership, the oldest member, the table writers it hosts. */
final class Management {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ObjectMapper json = new ObjectMapper();

    /** Waits until {@code host} sees {@code up} members up and none unreachable; fails at once if a pod exited. */
    void awaitMembers(String host, int up, List<Process> pods, Path logs, Duration timeout) {
        TestCluster.await(timeout, () -> {
            for (Process pod : pods) {
                if (!pod.isAlive()) {
                    throw new AssertionError("a pod exited with " + pod.exitValue() + "; logs in " + logs);
                }
            }
            return upMembers(host) == up && unreachable(host) == 0;
        }, host + " to see " + up + " members up");
    }

    /** The host of the oldest member, as {@code host} sees the cluster: it runs the singletons. */
    String oldestMember(String host) {
        JsonNode members = members(host);
        if (members == null) {
            throw new IllegalStateException(host + " does not answer its management port");
        }
        String oldest = members.path("oldest").asText();
        return oldest.substring(oldest.indexOf('@') + 1, oldest.lastIndexOf(':'));
    }

    /** Shards of table writers that host at least one writer on {@code host}; empty if it does not answer. */
    Set<String> tableShards(String host) {
        return shards(host, "Table");
    }

    /** Shards of the entity type that host at least one entity on {@code host}. */
    Set<String> shards(String host, String entityType) {
        Set<String> shards = new HashSet<>();
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://" + host + ":8558/cluster/shards/" + entityType))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            for (JsonNode region : json.readTree(response.body()).path("regions")) {
                if (region.path("numEntities").asInt() > 0) {
                    shards.add(region.path("shardId").asText());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return shards;
    }

    /** The HTTP status of a management path, or -1 when the pod does not answer. */
    int status(String host, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://" + host + ":8558" + path)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private long upMembers(String host) {
        JsonNode members = members(host);
        if (members == null) {
            return -1;
        }
        long count = 0;
        for (JsonNode member : members.path("members")) {
            count += member.path("status").asText().equals("Up") ? 1 : 0;
        }
        return count;
    }

    private long unreachable(String host) {
        JsonNode members = members(host);
        return members == null ? -1 : members.path("unreachable").size();
    }

    private JsonNode members(String host) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://" + host + ":8558/cluster/members"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? json.readTree(response.body()) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
