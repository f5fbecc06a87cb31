package io.lakeshard.storage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An S3-compatible store without conditional writes, made from a real one: a loopback proxy that drops the
 * {@code If-None-Match} header from every request, as stores that ignore it behave. One request per connection
 * (it sets {@code Connection: close}), so each request head passes through here.
 */
public final class HeaderStrippingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final URI target;
    private final ExecutorService threads = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "header-stripping-proxy");
        thread.setDaemon(true);
        return thread;
    });

    private HeaderStrippingProxy(ServerSocket server, URI target) {
        this.server = server;
        this.target = target;
    }

    public static HeaderStrippingProxy start(URI target) throws IOException {
        HeaderStrippingProxy proxy = new HeaderStrippingProxy(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), target);
        proxy.threads.submit(proxy::accept);
        return proxy;
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                threads.submit(() -> relay(client));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void relay(Socket client) {
        try (client; Socket upstream = new Socket(target.getHost(), target.getPort())) {
            InputStream in = client.getInputStream();
            OutputStream out = upstream.getOutputStream();
            out.write(rewrittenHead(in));
            out.flush();
            threads.submit(() -> pipe(upstream, client));
            // Until the client hangs up, after the response the other direction relays.
            in.transferTo(out);
        } catch (IOException ignored) {
            // One side hung up; the other sees the connection end.
        }
    }

    private static void pipe(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
            to.shutdownOutput();
        } catch (IOException ignored) {
            // Closed by the other direction.
        }
    }

    private static byte[] rewrittenHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed inside the request head");
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        StringBuilder rewritten = new StringBuilder();
        for (String line : head.toString(StandardCharsets.ISO_8859_1).split("\r\n")) {
            String name = line.toLowerCase(Locale.ROOT);
            if (name.startsWith("if-none-match:") || name.startsWith("connection:")) {
                continue;
            }
            rewritten.append(line).append("\r\n");
        }
        rewritten.append("Connection: close\r\n\r\n");
        return rewritten.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
