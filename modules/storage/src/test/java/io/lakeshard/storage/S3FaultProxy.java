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
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A loopback proxy in front of a real S3 server that makes it behave as other stores and networks do: without
 * conditional writes (it drops {@code If-None-Match}), slow (request bodies trickle through at a set rate, so a test
 * can take the store away in the middle of an upload), or losing an answer (the store did the request, the client
 * never hears so). One request per connection ({@code Connection: close}),
 * so every request head passes through here.
 */
public final class S3FaultProxy implements AutoCloseable {
    private static final int CHUNK = 8 * 1024;

    private final ServerSocket server;
    private final URI target;
    private final CountDownLatch uploadStarted = new CountDownLatch(1);
    private volatile boolean dropConditionalWrites;
    private volatile long bytesPerSecond = Long.MAX_VALUE;
    private volatile String uploadMarker;
    private volatile boolean cutOff;
    private volatile String loseAnswerTo;
    private final CountDownLatch answerLost = new CountDownLatch(1);
    private final ExecutorService threads = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "s3-fault-proxy");
        thread.setDaemon(true);
        return thread;
    });

    private S3FaultProxy(URI target) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.target = target;
        threads.submit(this::accept);
    }

    /** Passes everything through until told otherwise. */
    public static S3FaultProxy start(URI target) throws IOException {
        return new S3FaultProxy(target);
    }

    /** From now on the store ignores {@code If-None-Match}: the second of two racing creates succeeds too. */
    public S3FaultProxy dropConditionalWrites() {
        dropConditionalWrites = true;
        return this;
    }

    /** From now on request bodies pass at {@code bytesPerSecond} ({@link Long#MAX_VALUE}: at full speed). */
    public S3FaultProxy throttle(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
        return this;
    }

    /**
     * While {@code cut}, every connection is closed as soon as it is accepted: the store is unreachable, and reachable
     * again the moment this is undone (no restart to wait for).
     */
    public S3FaultProxy cutOff(boolean cut) {
        cutOff = cut;
        return this;
    }

    /**
     * The first PUT whose path contains {@code fragment} from now on reaches the store and is done there, but the
     * connection is closed before its answer: the client cannot tell a write that happened from one that did not.
     */
    public void loseAnswerOnce(String fragment) {
        loseAnswerTo = fragment;
    }

    /** Whether an answer {@link #loseAnswerOnce} asked for has been lost. */
    public boolean answerLost() {
        return answerLost.getCount() == 0;
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** From now on, notes the first PUT whose path contains {@code fragment} once part of its body has passed. */
    public void watchUploads(String fragment) {
        uploadMarker = fragment;
    }

    /** Waits until a watched upload is under way: its request is sent, part of its body relayed, the rest pending. */
    public boolean awaitUploadUnderWay(Duration timeout) throws InterruptedException {
        return uploadStarted.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                if (cutOff) {
                    client.close();
                    continue;
                }
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
            String head = readHead(in);
            String marker = uploadMarker;
            String requestLine = head.substring(0, head.indexOf('\r'));
            boolean watched = marker != null && head.startsWith("PUT ") && requestLine.contains(marker);
            String lose = loseAnswerTo;
            if (lose != null && head.startsWith("PUT ") && requestLine.contains(lose)) {
                loseAnswerTo = null;
                relayLosingAnswer(head, in, upstream);
                return;
            }
            out.write(rewrite(head).getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            threads.submit(() -> pipe(upstream, client));
            byte[] buffer = new byte[CHUNK];
            long relayed = 0;
            int read;
            while ((read = in.read(buffer)) >= 0) {
                out.write(buffer, 0, read);
                out.flush();
                relayed += read;
                if (watched && relayed >= CHUNK) {
                    uploadStarted.countDown();
                }
                long rate = bytesPerSecond;
                if (rate != Long.MAX_VALUE) {
                    Thread.sleep(Math.max(1, read * 1000L / rate));
                }
            }
        } catch (IOException | InterruptedException ignored) {
            // One side hung up; the other sees the connection end.
        }
    }

    /** Sends the whole request, waits until the store has answered it, and lets the client's connection close unanswered. */
    private void relayLosingAnswer(String head, InputStream in, Socket upstream) throws IOException {
        long length = contentLength(head);
        OutputStream out = upstream.getOutputStream();
        out.write(rewrite(head).getBytes(StandardCharsets.ISO_8859_1));
        byte[] buffer = new byte[CHUNK];
        for (long left = length; left > 0; ) {
            int read = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (read < 0) {
                throw new IOException("the client hung up inside the request body");
            }
            out.write(buffer, 0, read);
            left -= read;
        }
        out.flush();
        readHead(upstream.getInputStream());
        answerLost.countDown();
    }

    private static long contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                return Long.parseLong(line.substring("content-length:".length()).trim());
            }
        }
        throw new IllegalStateException("a PUT without Content-Length (chunked uploads are not relayed this way): " + head);
    }

    private static void pipe(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
            to.shutdownOutput();
        } catch (IOException ignored) {
            // Closed by the other direction.
        }
    }

    private static String readHead(InputStream in) throws IOException {
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
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private String rewrite(String head) {
        StringBuilder rewritten = new StringBuilder();
        for (String line : head.split("\r\n")) {
            String name = line.toLowerCase(Locale.ROOT);
            if ((dropConditionalWrites && name.startsWith("if-none-match:")) || name.startsWith("connection:")) {
                continue;
            }
            rewritten.append(line).append("\r\n");
        }
        return rewritten.append("Connection: close\r\n\r\n").toString();
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
