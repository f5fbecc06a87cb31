package io.lakeshard.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** A free port on loopback for a benchmark's own server (Artery's canonical port must be given). */
final class LoopbackPorts {
    private LoopbackPorts() {}

    static int free() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
