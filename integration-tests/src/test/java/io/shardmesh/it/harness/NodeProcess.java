package io.shardmesh.it.harness;

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

    private final Process process;
    private final Path log;
    private final String nodeId;
    private final int port;

    private NodeProcess(Process process, Path log, String nodeId, int port) {
        this.process = process;
        this.log = log;
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
            return new NodeProcess(p, log, m.group(1), Integer.parseInt(m.group(2)));
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
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }
}
