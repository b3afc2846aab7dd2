package io.shardmesh.cli;

import io.shardmesh.cli.bench.Ceilings;
import io.shardmesh.cli.grpc.BareGrpc;
import io.shardmesh.cli.grpc.BenchCalls;
import io.shardmesh.cli.grpc.NodeProcesses;
import io.shardmesh.cli.grpc.UnaryLoad;
import io.shardmesh.common.cli.HostPortConverter;
import io.shardmesh.common.cli.SizeConverter;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.transfer.FileGet;
import io.shardmesh.common.transfer.FilePut;
import io.shardmesh.server.grpc.TransportSecurity;
import io.shardmesh.server.node.NodeBuilder;
import io.shardmesh.server.node.ShardmeshNode;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code shardmesh bench}: put, get, degraded get, chunk streaming and unary calls on a mesh,
 * each printed beside the ceiling it is held against, measured in the same run on the same
 * machine: SHA-256 and Reed-Solomon on one core, fsync'd shard writes, and a bare grpc-java
 * server (a separate process, like the nodes) for streams and unary calls.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure the mesh's data path and calls beside this machine's ceilings, in one run.",
            "The mesh is N node processes on their own loopback addresses (--processes), N nodes in this process"
                + " (--nodes), or the running mesh at --node. The client is this JVM; bytes read are counted, not written."},
        subcommands = BenchCommand.BareServer.class,
        footer = {"", "Examples:", "  shardmesh bench --processes 6 --size 1GiB", "  shardmesh bench --nodes 6 --size 256MiB",
            "  shardmesh bench --node 127.0.0.1:7070 --size 64MiB"})
final class BenchCommand implements Callable<Integer> {

    static final int MIB = 1 << 20;
    /** GetChunk streams and bare streams in flight at once: about what a get keeps open. */
    static final int STREAMS = 8;
    /** Gets of the file measured; the median is the figure (a 2-core machine is noisy). */
    static final int GETS = 3;
    /** Most warm-up reads before the figures are taken. */
    static final int WARM_UP_RUNS = 12;

    @Spec
    CommandSpec spec;

    @Mixin
    GlobalOptions global;

    @Option(names = "--size", defaultValue = "64MiB", converter = SizeConverter.class,
            description = "Bytes to put and get (default: ${DEFAULT-VALUE}).")
    long size;

    @Option(names = "--nodes", description = "Start this many nodes in this process and measure them.")
    Integer nodes;

    @Option(names = "--processes", description = "Start this many node processes (one JVM each, on 127.0.0.2, 127.0.0.3, ... on Linux)"
            + " and measure them; with 6 or more, also a get with two of them killed.")
    Integer processes;

    @Option(names = "--calls", defaultValue = "20000", description = "Unary calls per method (default: ${DEFAULT-VALUE}).")
    int unaryCalls;

    @Option(names = "--concurrency", defaultValue = "50", description = "Unary calls in flight (default: ${DEFAULT-VALUE}).")
    int concurrency;

    /** One printed row. */
    private record Row(String what, String figure, String against, double ratio) {
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (nodes != null && processes != null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--nodes and --processes exclude each other");
        }
        for (Integer n : new Integer[] {nodes, processes}) {
            if (n != null && (n < 1 || n > 32)) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--nodes and --processes must be 1..32");
            }
        }
        if (unaryCalls < 1 || concurrency < 1 || concurrency > unaryCalls) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--calls and --concurrency must be positive, concurrency at most calls");
        }
        int mib = (int) Math.max(1, size / MIB);
        long bytes = (long) mib * MIB;
        List<Row> rows = new ArrayList<>();
        List<ShardmeshNode> local = new ArrayList<>();
        Path dir = Files.createTempDirectory("shardmesh-bench-");
        try (NodeProcesses children = new NodeProcesses(dir, global.security())) {
            double sha = Ceilings.sha256(bytes);
            double code = Ceilings.encode(4, 2, bytes);
            double fsync = Ceilings.fsyncedShardWrites(dir.resolve("fsync"), Math.min(bytes, 256L * MIB));
            rows.add(new Row("SHA-256, one core", mbps(sha), "", Double.NaN));
            rows.add(new Row("Reed-Solomon 4+2 encode, one core", mbps(code), "", Double.NaN));
            rows.add(new Row("fsync'd 1 MiB shard writes, one thread", mbps(fsync), "", Double.NaN));

            HostPort target = global.node();
            List<NodeProcesses.Child> meshProcesses = List.of();
            String where = "the mesh at " + target;
            if (processes != null) {
                meshProcesses = children.startMesh(processes);
                target = meshProcesses.get(0).address();
                where = processes + " node processes";
            } else if (nodes != null) {
                for (int i = 0; i < nodes; i++) {
                    NodeBuilder b = ShardmeshNode.builder(dir.resolve("n" + i)).listen(new HostPort(NodeProcesses.host(i), 0));
                    if (i > 0) {
                        HostPort first = new HostPort(NodeProcesses.host(0), local.get(0).port());
                        b.configure(c -> c.withBootstrap(List.of(first)));
                    }
                    local.add(b.start());
                }
                HostPort first = new HostPort(NodeProcesses.host(0), local.get(0).port());
                for (ShardmeshNode n : local.subList(1, local.size())) {
                    n.join(List.of(first)).block(DemoCommand.STEP);
                }
                target = first;
                where = nodes + " nodes in this process";
            }
            // The ceiling is secured as the nodes are: the figures compare like with like, and the
            // bench with --plaintext shows what TLS costs.
            List<String> bareArgs = new ArrayList<>(List.of("bench", "bare-server", "--listen", "127.0.0.1:0"));
            if (global.plaintext()) {
                bareArgs.add("--plaintext");
            }
            NodeProcesses.Child bare = children.start("bare-server", bareArgs);

            try (ClientMesh mesh = ClientMesh.connect(target, global)) {
                BenchCalls grpcCalls = new BenchCalls(mesh.channels, bare.address(), target, concurrency);

                // A warm-up of every step first, so no figure pays for the JIT of either end.
                int warmMib = Math.min(mib, 256);
                grpcCalls.bareStream((long) warmMib * MIB, STREAMS);
                // The same bytes each time: one file on the mesh, stored again and again.
                FilePut.Result warm = put(mesh, warmMib, "bench-warm-up.bin").block(Duration.ofHours(1));
                int warmPuts = 1 + warmUp(() -> put(mesh, warmMib, "bench-warm-up.bin").block(Duration.ofHours(1)));
                int warmGets = warmUp(() -> read(mesh.get, warm.fileId()));
                spec.commandLine().getErr().printf("warmed up with %d puts and %d gets of %d MiB%n", warmPuts, warmGets, warmMib);
                chunkStream(mesh, warm, warmMib);
                grpcCalls.echo(unaryCalls);
                grpcCalls.status(unaryCalls);
                grpcCalls.findNode(unaryCalls);

                double bareStream = grpcCalls.bareStream(bytes, STREAMS);
                rows.add(new Row("bare grpc-java stream, 256 KiB frames", mbps(bareStream), "", Double.NaN));

                long t = System.nanoTime();
                FilePut.Result r = put(mesh, mib, "bench.bin").block(Duration.ofHours(1));
                double put = Ceilings.mbps(bytes, System.nanoTime() - t);
                r.warnings().forEach(w -> spec.commandLine().getErr().println("warning: " + w));
                try {
                    rows.add(new Row("put, 4+2, 1 MiB shards, every shard fsync'd", mbps(put), "fsync'd writes x 4/6",
                            put / (fsync * 4 / 6)));
                    double[] gets = new double[GETS];
                    for (int i = 0; i < GETS; i++) {
                        t = System.nanoTime();
                        long read = read(mesh.get, r.fileId());
                        gets[i] = Ceilings.mbps(read, System.nanoTime() - t);
                    }
                    double get = median(gets);
                    rows.add(new Row("get (median of " + GETS + ")", mbps(get), "bare stream", get / bareStream));

                    double chunks = chunkStream(mesh, r, mib);
                    rows.add(new Row("GetChunk streams from one node", mbps(chunks), "bare stream", chunks / bareStream));

                    UnaryLoad.Result echo = grpcCalls.echo(unaryCalls);
                    rows.add(new Row("unary: bare grpc-java echo", callsFigure(echo), "", Double.NaN));
                    UnaryLoad.Result status = grpcCalls.status(unaryCalls);
                    rows.add(new Row("unary: Node.Status", callsFigure(status), "bare echo", status.callsPerSecond() / echo.callsPerSecond()));
                    UnaryLoad.Result findNode = grpcCalls.findNode(unaryCalls);
                    rows.add(new Row("unary: Dht.FindNode", callsFigure(findNode), "bare echo", findNode.callsPerSecond() / echo.callsPerSecond()));

                    if (meshProcesses.size() >= 6) {
                        // Two holders down (never the node the client came in through): every
                        // stripe that had a data shard there is rebuilt from parity.
                        children.kill(meshProcesses.get(1));
                        children.kill(meshProcesses.get(2));
                        for (int i = 0; i < GETS; i++) {
                            t = System.nanoTime();
                            long read = read(mesh.get, r.fileId());
                            gets[i] = Ceilings.mbps(read, System.nanoTime() - t);
                        }
                        double degraded = median(gets);
                        rows.add(new Row("get, 2 of " + meshProcesses.size() + " nodes killed (median)", mbps(degraded), "get", degraded / get));
                    }
                } finally {
                    if (processes == null && nodes == null) {
                        // Leave nothing behind on the user's mesh (the shards are collected after the grace period).
                        for (ContentId id : List.of(warm.fileId(), r.fileId())) {
                            mesh.delete.delete(id, mesh.owner.id()).onErrorResume(e -> Mono.empty()).block(DemoCommand.STEP);
                        }
                    }
                }
            }
            out.printf(Locale.ROOT, "shardmesh bench: %d MiB on %s; client in this JVM; %d unary calls, %d in flight%n",
                    mib, where, unaryCalls, concurrency);
            out.printf(Locale.ROOT, "%-46s %24s   %-22s %6s%n", "what", "figure", "ceiling (same run)", "ratio");
            for (Row row : rows) {
                out.printf(Locale.ROOT, "%-46s %24s   %-22s %6s%n", row.what(), row.figure(), row.against(),
                        Double.isNaN(row.ratio()) ? "" : String.format(Locale.ROOT, "%.2f", row.ratio()));
            }
        } finally {
            local.forEach(ShardmeshNode::close);
            try (var s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    /**
     * Puts {@code mib} MiB of incompressible bytes: 1 MiB slices of a 64 MiB random pool, each
     * stamped with its index so no two shards are alike (making random bytes on the fly would
     * cost more than the put).
     */
    private static Mono<FilePut.Result> put(ClientMesh mesh, int mib, String name) {
        byte[] pool = new byte[64 * MIB];
        new Random(1).nextBytes(pool);
        return mesh.put.put(new FilePut.Options(name, 4, 2, MIB, false, true), Flux.range(0, mib).map(i -> {
            byte[] b = new byte[MIB];
            System.arraycopy(pool, (i % 64) * MIB, b, 0, MIB);
            ByteBuffer.wrap(b).putInt(i);
            return ByteBuffer.wrap(b);
        }));
    }

    private static long read(FileGet get, ContentId id) {
        return get.read(id, Optional.empty(), 0, 0).map(b -> (long) b.remaining()).reduce(0L, Long::sum).block(Duration.ofHours(1));
    }

    /** One stored shard fetched {@code count} times, {@link #STREAMS} at once, through the client's GetChunk path. */
    private static double chunkStream(ClientMesh mesh, FilePut.Result r, int count) {
        ContentId shard = r.manifest().stripes().get(0).get(0);
        Contact holder = r.holders().get(0).get(0);
        var grpc = mesh.mesh;
        long t = System.nanoTime();
        long got = Flux.range(0, count).flatMap(i -> grpc.getChunk(holder, shard), STREAMS)
                .map(b -> (long) b.length).reduce(0L, Long::sum).block(Duration.ofHours(1));
        return Ceilings.mbps(got, System.nanoTime() - t);
    }

    /**
     * Repeats {@code step} until it stops getting faster (at least three runs; then until a run
     * is not 5% faster than the best before it, at most {@link #WARM_UP_RUNS}): seven JVMs share
     * two cores here, and their JIT compilers keep a transfer below its steady rate for several
     * gigabytes, which long-running nodes never see.
     *
     * @return the runs made
     */
    private static int warmUp(Runnable step) {
        long best = Long.MAX_VALUE;
        int runs = 0;
        while (runs < WARM_UP_RUNS) {
            long t = System.nanoTime();
            step.run();
            runs++;
            long took = System.nanoTime() - t;
            if (runs >= 3 && took > best * 0.95) {
                break;
            }
            best = Math.min(best, took);
        }
        return runs;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s[s.length / 2];
    }

    private static String mbps(double v) {
        return String.format(Locale.ROOT, "%,.0f MB/s", v);
    }

    private static String callsFigure(UnaryLoad.Result r) {
        return String.format(Locale.ROOT, "%,.0f calls/s p50 %.1f p99 %.1f ms%s", r.callsPerSecond(), r.p50Millis(), r.p99Millis(),
                r.errors() == 0 ? "" : " (" + r.errors() + " errors: " + r.firstError() + ")");
    }

    /** {@code shardmesh bench bare-server}: the bare grpc-java server the bench starts as its ceiling. */
    @Command(name = "bare-server", hidden = true, description = "A bare grpc-java server (the bench's ceiling); runs until killed.")
    static final class BareServer implements Callable<Integer> {
        @Option(names = "--listen", defaultValue = "127.0.0.1:0", converter = HostPortConverter.class)
        HostPort listen;

        /** Its --plaintext is the bench's own (inherited). */
        @picocli.CommandLine.ParentCommand
        BenchCommand bench;

        @Override
        public Integer call() throws Exception {
            TransportSecurity security = bench.global.plaintext() ? TransportSecurity.plaintext()
                    : TransportSecurity.tls(NodeKey.generate(), java.time.Clock.systemUTC());
            BareGrpc.run(listen, security, port -> {
                System.out.printf("bare grpc-java server listening on %s:%d%n", listen.host(), port);
                System.out.flush();
            });
            return ExitCodes.OK;
        }
    }
}
