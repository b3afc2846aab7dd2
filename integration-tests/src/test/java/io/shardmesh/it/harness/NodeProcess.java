package io.shardmesh.it.harness;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real node JVM started with the CLI jar ({@code java -jar shardmesh-cli.jar node ...}) on
 * 127.0.0.1 with an OS-picked port. The port and id are read from the node's one startup line;
 * {@link #start} returns once the node's gRPC health service also answers SERVING.
 * {@link #close()} always ends the process (SIGKILL if SIGTERM was not enough).
 */
public final class NodeProcess implements AutoCloseable {

    /** Generous: several JVMs start at once on 2 cores shared with other builds. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private static final Pattern STARTED = Pattern.compile("^shardmesh node ([0-9a-f]{64}) listening on ([0-9.]+|\\[[0-9a-f:]+\\]):(\\d+)");

    private final Process process;
    private final Path dataDir;
    private final Path log;
    private final String nodeId;
    private final String host;
    private final int port;
    private final Duration startup;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private volatile boolean serving;

    private NodeProcess(Process process, Path dataDir, Path log, String nodeId, String host, int port, Duration startup) {
        this.host = host;
        this.process = process;
        this.dataDir = dataDir;
        this.log = log;
        this.nodeId = nodeId;
        this.port = port;
        this.startup = startup;
    }

    /**
     * Starts a node on 127.0.0.1:0 with {@code dataDir} and extra flags, and waits until it
     * listens and its health service answers SERVING.
     */
    public static NodeProcess start(Path dataDir, String... extraArgs) throws IOException, InterruptedException {
        return start(dataDir, 0, extraArgs);
    }

    /** As {@link #start(Path, String...)}, on 127.0.0.1:{@code port} (0: the OS picks). */
    public static NodeProcess start(Path dataDir, int port, String... extraArgs) throws IOException, InterruptedException {
        return start(dataDir, "127.0.0.1", port, extraArgs);
    }

    /**
     * As {@link #start(Path, String...)}, on {@code host:port}. On Linux every 127.x.y.z is this
     * machine, so nodes on 127.0.0.2, 127.0.0.3, ... are distinct hosts to the mesh.
     */
    public static NodeProcess start(Path dataDir, String host, int port, String... extraArgs) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        List<String> args = new ArrayList<>(List.of("node", "--listen", host + ":" + port, "--data-dir", dataDir.toString()));
        args.addAll(List.of(extraArgs));
        Files.createDirectories(dataDir);
        Path log = dataDir.resolveSibling(dataDir.getFileName() + ".stderr.log");
        // Appended, so the log of a node restarted on the same data dir tells its whole story.
        Process p = new ProcessBuilder(Jvm.cli(args)).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        p.getOutputStream().close();
        CompletableFuture<Matcher> started = CompletableFuture.supplyAsync(() -> readStartLine(p));
        NodeProcess node = null;
        try {
            Matcher m = started.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (m == null) {
                p.waitFor(5, TimeUnit.SECONDS);
                throw new IllegalStateException("node exited before listening (exit " + (p.isAlive() ? "?" : p.exitValue())
                        + "); stderr:\n" + Files.readString(log));
            }
            node = new NodeProcess(p, dataDir, log, m.group(1), host, Integer.parseInt(m.group(3)),
                    Duration.ofNanos(System.nanoTime() - t0));
            node.awaitServing(t0 + START_TIMEOUT.toNanos());
            return node;
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("node did not start in " + START_TIMEOUT.toSeconds() + " s; stderr:\n"
                    + Files.readString(log), e);
        } finally {
            if (node == null || !node.serving) {
                if (node != null) {
                    node.closeChannel();
                }
                p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** Reads stdout up to the startup line, then keeps draining it so the node never blocks on a full pipe. */
    private static Matcher readStartLine(Process p) {
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                Matcher m = STARTED.matcher(line);
                if (m.find()) {
                    Thread drain = new Thread(() -> {
                        try {
                            while (r.readLine() != null) {
                                // Nothing else on stdout matters; the node logs to stderr.
                            }
                        } catch (IOException ignored) {
                            // The process ended.
                        }
                    }, "node-stdout-drain");
                    drain.setDaemon(true);
                    drain.start();
                    return m;
                }
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    private void awaitServing(long deadlineNanos) throws InterruptedException, IOException {
        StatusRuntimeException last = null;
        ManagedChannel probe = channel();
        while (System.nanoTime() < deadlineNanos && process.isAlive()) {
            try {
                if (HealthGrpc.newBlockingStub(probe).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .check(HealthCheckRequest.getDefaultInstance()).getStatus() == ServingStatus.SERVING) {
                    serving = true;
                    return;
                }
            } catch (StatusRuntimeException e) {
                last = e;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("node " + address() + " listened but its health never answered SERVING ("
                + (last == null ? "process alive: " + process.isAlive() : last.getStatus()) + "); stderr:\n" + stderr());
    }

    public int port() {
        return port;
    }

    /** The address it listens on. */
    public String host() {
        return host;
    }

    /** {@code host:port}, for {@code --node} and {@code --bootstrap}. */
    public String address() {
        return host + ":" + port;
    }

    public String nodeId() {
        return nodeId;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Process process() {
        return process;
    }

    /** From exec to health SERVING. */
    public Duration startup() {
        return startup;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * A new TLS channel (its own connection) to the node with the mesh's limits,
     * shut down with the node. Give every call a deadline.
     */
    public synchronized ManagedChannel channel() {
        ManagedChannel ch = Tls.channel(host, port);
        channels.add(ch);
        return ch;
    }

    /** Where the node keeps the blob {@code chunkId}. */
    public Path chunkFile(String chunkId) {
        return dataDir.resolve("chunks").resolve(chunkId.substring(0, 2)).resolve(chunkId.substring(2, 4)).resolve(chunkId);
    }

    /** The process is alive and its health service answers SERVING, on a new connection. */
    public boolean healthy() {
        if (!process.isAlive()) {
            return false;
        }
        ManagedChannel ch = Tls.channel(host, port);
        try {
            return HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus() == ServingStatus.SERVING;
        } catch (StatusRuntimeException e) {
            return false;
        } finally {
            ch.shutdownNow();
        }
    }

    /**
     * The node's used heap right after a full collection, in bytes (through {@code jcmd}, from the
     * JDK running the tests): what the node really keeps, not garbage not collected yet.
     */
    public long heapUsedAfterGc() throws IOException, InterruptedException {
        return new ProcessProbe(process.pid()).heapUsedBytes(true);
    }

    /** What the node logged to stderr so far. */
    public String stderr() throws IOException {
        return Files.readString(log);
    }

    /** SIGTERM and wait; the exit code. */
    public int terminate(long timeoutSeconds) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            throw new IllegalStateException("node did not stop within " + timeoutSeconds + " s of SIGTERM");
        }
        closeChannel();
        return process.exitValue();
    }

    /** SIGKILL (kill -9) and wait until the process is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("node " + address() + " still alive 30 s after SIGKILL");
        }
        closeChannel();
    }

    private synchronized void closeChannel() {
        channels.forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }

    @Override
    public void close() throws InterruptedException {
        try {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    kill();
                }
            }
        } finally {
            if (process.isAlive()) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            closeChannel();
        }
    }
}
