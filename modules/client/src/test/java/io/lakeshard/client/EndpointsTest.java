package io.lakeshard.client;

import io.lakeshard.grpc.FixedAddressResolver;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.grpc.GrpcClientSettings;
import io.lakeshard.client.Endpoints.Endpoint;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Endpoints are every address of every name given, in order; a failed one hands on to the next, once. */
class EndpointsTest {
    private static ActorSystem<Void> system;

    @BeforeAll
    static void start() {
        system = ActorSystem.create(Behaviors.empty(), "endpoints-test");
    }

    @AfterAll
    static void stop() {
        system.terminate();
    }

    private static Endpoints open(List<InetSocketAddress> addresses) {
        return Endpoints.open(addresses, system, (host, address, port) ->
                GrpcClientSettings.connectToServiceAt(address.getHostAddress(), port, system).withTls(false)
                        .withChannelBuilderOverrides(builder -> FixedAddressResolver.pin(builder, new InetSocketAddress(address, port))));
    }

    @Test
    void aNameIsEveryAddressItResolvesToAndAnUnknownNameIsSkipped() throws Exception {
        int localhost = InetAddress.getAllByName("localhost").length;
        try (Endpoints endpoints = open(List.of(InetSocketAddress.createUnresolved("localhost", 7001),
                InetSocketAddress.createUnresolved("no-such-node.invalid", 7002), new InetSocketAddress("127.0.0.1", 7003)))) {
            assertEquals(localhost + 1, endpoints.size());
            assertEquals(":7001", endpoints.current().address().substring(endpoints.current().address().lastIndexOf(':')));
        }
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> open(List.of(InetSocketAddress.createUnresolved("no-such-node.invalid", 7002))));
        assertEquals("no endpoint resolves: [no-such-node.invalid]", none.getMessage());
    }

    @Test
    void failuresOfOneEndpointMoveTheClientOnOnceAndRoundTheList() {
        try (Endpoints endpoints = open(List.of(new InetSocketAddress("127.0.0.1", 7001), new InetSocketAddress("127.0.0.1", 7002)))) {
            Endpoint first = endpoints.current();
            endpoints.failed(first);
            Endpoint second = endpoints.current();
            assertEquals("127.0.0.1:7002", second.address());
            endpoints.failed(first);
            assertSame(second, endpoints.current(), "a second call that failed on the first endpoint does not skip the second");
            endpoints.failed(second);
            assertSame(first, endpoints.current(), "round the list");
        }
    }
}
