package io.shardmesh.cli.grpc;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.proto.v1.ListPeersRequest;
import io.shardmesh.proto.v1.NodeGrpc;
import io.shardmesh.proto.v1.PeerStatus;
import io.shardmesh.server.grpc.TransportSecurity;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Mesh nodes, or a bare server, as child JVMs of this one (with the JVM options in
 * {@code SHARDMESH_NODE_JAVA_OPTS}, if set: a profiler agent, heap flags), each on its own loopback address on
 * Linux (127.0.0.2, 127.0.0.3, ...: distinct hosts to the mesh's placement). They are killed when
 * this closes, and by a shutdown hook if this JVM exits first.
 */
public final class NodeProcesses implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile(" listening on ([0-9.]+):(\\d+)");
    private static final long START_SECONDS = 60;
    /**
     * JVM flags of this process that a child must not copy: they write files of their own, or
     * (the launcher's class-data archive and short-command compiler setting) are for this JVM.
     */
    private static final Pattern OWN_OUTPUT = Pattern.compile(
            "^-Xlog|^-XX:[+-]?(StartFlightRecording|FlightRecorderOptions|ArchiveClassesAtExit|SharedArchiveFile|TieredStopAtLevel|HeapDumpPath|ErrorFile|LogFile)");

    /** One child: its process and the address it listens on. */
    public record Child(Process process, HostPort address) {
    }

    private final Path dir;
    private final TransportSecurity security;
    private final List<Child> children = new ArrayList<>();
    private final Thread hook = new Thread(this::destroyAll, "bench-children");

    /** @param security how the nodes serve (plaintext starts them with {@code --plaintext}) and how this process calls them */
    public NodeProcesses(Path dir, TransportSecurity security) {
        this.dir = dir;
        this.security = security;
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** The address of the {@code i}-th host: 127.0.0.{2+i} on Linux, else 127.0.0.1. */
    public static String host(int i) {
        return System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux") ? "127.0.0." + (2 + i) : "127.0.0.1";
    }

    /** Starts {@code n} nodes, the first the others' bootstrap, and waits until the first sees them all. */
    public List<Child> startMesh(int n) throws IOException, InterruptedException {
        List<Child> nodes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<String> args = new ArrayList<>(List.of("node", "--listen", host(i) + ":0",
                    "--data-dir", dir.resolve("n" + i).toString()));
            if (i > 0) {
                args.addAll(List.of("--bootstrap", nodes.get(0).address().toString()));
            }
            if (!security.isTls()) {
                args.add("--plaintext");
            }
            nodes.add(start("node" + i, args));
        }
        awaitPeers(nodes.get(0).address(), n - 1);
        return nodes;
    }

    /** Starts this jar's command line with {@code args} and waits for its "listening on" line. */
    public Child start(String name, List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        // The launcher's JVM flags (heap, collector), so children run as a `shardmesh node` would;
        // not the ones that name an output file (a recording, a log, an archive), which every
        // child would then write over.
        java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("-X") && !OWN_OUTPUT.matcher(a).find() || a.startsWith("-Dshardmesh.stderr"))
                .forEach(cmd::add);
        String opts = System.getenv("SHARDMESH_NODE_JAVA_OPTS");
        if (opts != null && !opts.isBlank()) {
            cmd.addAll(List.of(opts.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.shardmesh.cli.Main"));
        cmd.addAll(args);
        Path log = dir.resolve(name + ".stderr.log");
        Files.createDirectories(dir);
        Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
        p.getOutputStream().close();
        CompletableFuture<HostPort> listening = CompletableFuture.supplyAsync(() -> readListening(p));
        HostPort address;
        try {
            address = listening.get(START_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            address = null;
        }
        if (address == null) {
            p.destroyForcibly();
            throw new IllegalStateException(name + " did not start; its log: " + log + "\n" + tail(log));
        }
        Child c = new Child(p, address);
        synchronized (children) {
            children.add(c);
        }
        return c;
    }

    /** kill -9, and waits until it is gone. */
    public void kill(Child c) throws InterruptedException {
        c.process().destroyForcibly();
        c.process().waitFor(30, TimeUnit.SECONDS);
    }

    private static HostPort readListening(Process p) {
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    Thread drain = new Thread(() -> {
                        try {
                            while (r.readLine() != null) {
                                // Only the first line matters; draining keeps the child from blocking.
                            }
                        } catch (IOException ignored) {
                            // The child ended.
                        }
                    }, "bench-child-stdout");
                    drain.setDaemon(true);
                    drain.start();
                    return new HostPort(m.group(1), Integer.parseInt(m.group(2)));
                }
            }
        } catch (IOException ignored) {
            // The child ended before it listened.
        }
        return null;
    }

    private void awaitPeers(HostPort first, int peers) throws InterruptedException {
        ManagedChannel ch = security.channel(NettyChannelBuilder.forAddress(first.host(), first.port()), Optional.empty()).build();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_SECONDS);
            long online = 0;
            while (System.nanoTime() < deadline) {
                try {
                    online = NodeGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
                            .listPeers(ListPeersRequest.getDefaultInstance()).getPeersList().stream()
                            .filter(p -> p.getStatus() == PeerStatus.PEER_STATUS_ONLINE).count();
                    if (online >= peers) {
                        return;
                    }
                } catch (RuntimeException notYet) {
                    // Still starting.
                }
                Thread.sleep(200);
            }
            throw new IllegalStateException("the first node sees " + online + " of its " + peers + " peers after "
                    + START_SECONDS + " s");
        } finally {
            ch.shutdownNow();
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    /** SIGTERM (a node stops cleanly, an agent writes its output), then kill -9 for any still there after 10 s. */
    private void destroyAll() {
        synchronized (children) {
            children.forEach(c -> c.process().destroy());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            for (Child c : children) {
                try {
                    if (!c.process().waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                        c.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    children.forEach(x -> x.process().destroyForcibly());
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            children.clear();
        }
    }

    @Override
    public void close() {
        destroyAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException exiting) {
            // The hook is running.
        }
    }
}
