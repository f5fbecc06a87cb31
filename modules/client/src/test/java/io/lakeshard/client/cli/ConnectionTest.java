package io.lakeshard.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConnectionTest {
    @Test
    void serverTakesSeveralEndpointsToFailOverBetween() {
        assertEquals(List.of(InetSocketAddress.createUnresolved("10.0.0.1", 8080), InetSocketAddress.createUnresolved("lakeshard.internal", 9090)),
                LakeshardCli.Connection.endpoints("10.0.0.1:8080, lakeshard.internal:9090"));
        assertEquals(List.of(InetSocketAddress.createUnresolved("127.0.0.1", 8080)), LakeshardCli.Connection.endpoints("127.0.0.1:8080"));
    }

    @Test
    void anEndpointWithoutAPortIsRefused() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> LakeshardCli.Connection.endpoints("127.0.0.1:8080,node-b"));
        assertEquals("--server takes host:port, comma-separated; not 'node-b'", refused.getMessage());
    }
}
