package io.shardmesh.it.harness;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.shardmesh.common.grpc.PeerChannels;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real node JVM started with the CLI jar ({@code java -jar shardmesh-cli.jar node ...}) on
 * 127.0.0.1 with an OS-picked port. The port and id are read from the node's one startup line.
 * {@link #close()} always ends the process (SIGKILL if SIGTERM was not enough).
 */
public final class NodeProcess implements AutoCloseable {

    private static final Pattern STARTED = Pattern.compile("^shardmesh node ([0-9a-f]{64}) listening on 127\\.0\\.0\\.1:(\\d+)");

    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

    private final Process process;
    private final Path log;
    private final Path dataDir;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final String nodeId;
    private final int port;

    private NodeProcess(Process process, Path log, Path dataDir, String nodeId, int port) {
        this.process = process;
        this.log = log;
        this.dataDir = dataDir;
        this.nodeId = nodeId;
        this.port = port;
    }

    /** Starts a node on 127.0.0.1:0 with {@code dataDir} and extra flags, and waits for it to listen. */
    public static NodeProcess start(Path dataDir, String... extraArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Paths.javaBin().toString(), "-Xmx256m",
                "-jar", Paths.cliJar().toString(), "node", "--listen", "127.0.0.1:0",
                "--data-dir", dataDir.toString()));
        cmd.addAll(List.of(extraArgs));
        Files.createDirectories(dataDir);
        Path log = dataDir.resolveSibling(dataDir.getFileName() + ".stderr.log");
        Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
        p.getOutputStream().close();
        CompletableFuture<Matcher> started = CompletableFuture.supplyAsync(() -> {
            try {
                BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                String line;
                while ((line = r.readLine()) != null) {
                    Matcher m = STARTED.matcher(line);
                    if (m.find()) {
                        return m;
                    }
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        });
        try {
            Matcher m = started.get(60, TimeUnit.SECONDS);
            if (m == null) {
                p.waitFor(5, TimeUnit.SECONDS);
                throw new IllegalStateException("node exited before listening (exit " + (p.isAlive() ? "?" : p.exitValue())
                        + "); stderr:\n" + Files.readString(log));
            }
            return new NodeProcess(p, log, dataDir, m.group(1), Integer.parseInt(m.group(2)));
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            p.destroyForcibly();
            throw new IllegalStateException("node did not start in 60 s; stderr:\n" + Files.readString(log), e);
        }
    }

    public int port() {
        return port;
    }

    public String nodeId() {
        return nodeId;
    }

    public Process process() {
        return process;
    }

    /** The node's data dir. */
    public Path dataDir() {
        return dataDir;
    }

    /** Where the node keeps the blob {@code chunkId}. */
    public Path chunkFile(String chunkId) {
        return dataDir.resolve("chunks").resolve(chunkId.substring(0, 2)).resolve(chunkId.substring(2, 4)).resolve(chunkId);
    }

    /** A new plaintext channel to the node with the mesh's message limit; closed with the node. */
    public synchronized ManagedChannel channel() {
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
                .maxInboundMessageSize(PeerChannels.MAX_INBOUND_MESSAGE_BYTES).build();
        channels.add(ch);
        return ch;
    }

    /** The process is alive and its health service answers SERVING, on a new connection. */
    public boolean healthy() {
        if (!process.isAlive()) {
            return false;
        }
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            return HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus() == HealthCheckResponse.ServingStatus.SERVING;
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
        String jcmd = Paths.javaBin().resolveSibling("jcmd").toString();
        String pid = Long.toString(process.pid());
        NodeTooling.ProcessResult gc = NodeTooling.run(dataDir, 60, jcmd, pid, "GC.run");
        NodeTooling.ProcessResult info = NodeTooling.run(dataDir, 60, jcmd, pid, "GC.heap_info");
        if (gc.exitCode() != 0 || info.exitCode() != 0) {
            throw new IllegalStateException("jcmd failed:\n" + gc.output() + info.output());
        }
        long usedKb = 0;
        for (String line : info.output().split("\n")) {
            // Generations or the whole heap; metaspace is not heap.
            if (line.contains("Metaspace") || line.contains("class space")) {
                continue;
            }
            Matcher m = HEAP_USED.matcher(line);
            if (m.find()) {
                usedKb += Long.parseLong(m.group(1));
            }
        }
        if (usedKb == 0) {
            throw new IllegalStateException("no heap figure in jcmd GC.heap_info:\n" + info.output());
        }
        return usedKb * 1024;
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
        return process.exitValue();
    }

    /** SIGKILL (kill -9) and wait. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        synchronized (this) {
            channels.forEach(ManagedChannel::shutdownNow);
        }
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }
}
