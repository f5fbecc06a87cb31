package io.lakeshard.client;

import static java.util.Objects.requireNonNull;

import akka.Done;
import akka.actor.ClassicActorSystemProvider;
import akka.grpc.GrpcChannel;
import akka.grpc.GrpcClientSettings;
import io.lakeshard.api.v1.AdminServiceClient;
import io.lakeshard.api.v1.ExportServiceClient;
import io.lakeshard.api.v1.ImportServiceClient;
import io.lakeshard.api.v1.DatasetServiceClient;
import io.lakeshard.api.v1.IngestServiceClient;
import io.lakeshard.api.v1.QueryServiceClient;
import io.lakeshard.api.v1.SamplingServiceClient;
import io.lakeshard.api.v1.TraceQueryServiceClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The nodes a client may call, and the one it calls now. Every address a name resolves to is a node of its own; the
 * client starts with the first and moves on to the next, round the list, when a call finds its node unavailable.
 */
final class Endpoints implements AutoCloseable {
    /** How long {@link #close} waits for the channels to end. */
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private final List<Endpoint> endpoints;
    private final AtomicInteger current = new AtomicInteger();

    /** One node: one channel, shared by the services' stubs. */
    record Endpoint(String address, GrpcChannel channel, DatasetServiceClient datasets, IngestServiceClient ingest,
                    QueryServiceClient queries, TraceQueryServiceClient traces, AdminServiceClient admin, ImportServiceClient imports,
                    ExportServiceClient exports, SamplingServiceClient samplers) {
        Endpoint {
            requireNonNull(address, "address is null");
            requireNonNull(channel, "channel is null");
            requireNonNull(datasets, "datasets is null");
            requireNonNull(ingest, "ingest is null");
            requireNonNull(queries, "queries is null");
            requireNonNull(traces, "traces is null");
            requireNonNull(admin, "admin is null");
            requireNonNull(imports, "imports is null");
            requireNonNull(exports, "exports is null");
            requireNonNull(samplers, "samplers is null");
        }
    }

    private Endpoints(List<Endpoint> endpoints) {
        this.endpoints = List.copyOf(endpoints);
    }

    /**
     * Channels to every address of {@code addresses}, in order; {@code settings} turns a host name, an address it
     * resolved to and a port into a channel's settings (the name stays the authority TLS checks).
     */
    static Endpoints open(List<InetSocketAddress> addresses, ClassicActorSystemProvider system,
                          Settings settings) {
        List<Endpoint> endpoints = new ArrayList<>();
        List<String> unresolved = new ArrayList<>();
        for (InetSocketAddress address : addresses) {
            InetAddress[] resolved;
            try {
                resolved = InetAddress.getAllByName(address.getHostString());
            } catch (UnknownHostException e) {
                // A node that is gone may be gone from DNS too: the others serve.
                unresolved.add(address.getHostString());
                continue;
            }
            for (InetAddress ip : resolved) {
                GrpcChannel channel = GrpcChannel.apply(settings.channel(address.getHostString(), ip, address.getPort()), system);
                endpoints.add(new Endpoint(ip.getHostAddress() + ":" + address.getPort(), channel,
                        DatasetServiceClient.create(channel, system), IngestServiceClient.create(channel, system),
                        QueryServiceClient.create(channel, system), TraceQueryServiceClient.create(channel, system),
                        AdminServiceClient.create(channel, system), ImportServiceClient.create(channel, system),
                        ExportServiceClient.create(channel, system), SamplingServiceClient.create(channel, system)));
            }
        }
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no endpoint resolves: " + (addresses.isEmpty() ? "none given" : unresolved));
        }
        return new Endpoints(endpoints);
    }

    /** Settings of the channel to one resolved address of {@code host}. */
    @FunctionalInterface
    interface Settings {
        GrpcClientSettings channel(String host, InetAddress address, int port);
    }

    Endpoint current() {
        return endpoints.get(current.get());
    }

    int size() {
        return endpoints.size();
    }

    /**
     * {@code endpoint} failed a call: the client moves on to the next, unless another call has moved it already
     * (then both calls' failures move it once).
     */
    void failed(Endpoint endpoint) {
        int index = endpoints.indexOf(endpoint);
        current.compareAndSet(index, (index + 1) % endpoints.size());
    }

    /** Closes every channel and waits for them to end, so that their event loop may then stop. */
    @Override
    public void close() {
        List<CompletableFuture<Done>> closed = new ArrayList<>();
        endpoints.forEach(endpoint -> closed.add(endpoint.channel().closeCS().toCompletableFuture()));
        try {
            CompletableFuture.allOf(closed.toArray(CompletableFuture[]::new)).get(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // Closing is best effort: a channel that does not end in time is cut off with its event loop.
        }
    }
}
