package io.shardmesh.cli;

import io.shardmesh.common.cli.SizeConverter;
import io.shardmesh.common.erasure.ErasureCodec;
import io.shardmesh.common.hash.Sha256;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.transfer.FileGet;
import io.shardmesh.common.transfer.FilePut;
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

/** {@code shardmesh bench}: put and get throughput, next to this machine's hashing and coding speed. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure put and get throughput on the mesh at --node, or on N local nodes with --nodes.",
        footer = {"", "Example:", "  shardmesh bench --nodes 6 --size 256MiB", "  shardmesh bench --node 127.0.0.1:7070 --size 64MiB"})
final class BenchCommand implements Callable<Integer> {

    static final int MIB = 1 << 20;

    @Spec
    CommandSpec spec;

    @Mixin
    GlobalOptions global;

    @Option(names = "--size", defaultValue = "64MiB", converter = SizeConverter.class,
            description = "Bytes to put and get (default: ${DEFAULT-VALUE}).")
    long size;

    @Option(names = "--nodes", description = "Start this many nodes on loopback in this process and measure them instead.")
    Integer nodes;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        int mib = (int) Math.max(1, size / MIB);
        long bytes = (long) mib * MIB;
        byte[] block = new byte[4 * MIB];
        new Random(1).nextBytes(block);
        long t = System.nanoTime();
        for (long done = 0; done < bytes; done += block.length) {
            Sha256.of(block);
        }
        double sha = mbps(bytes, System.nanoTime() - t);
        ErasureCodec rs = ErasureCodec.create(4, 2);
        t = System.nanoTime();
        for (long done = 0; done < bytes; done += block.length) {
            rs.encode(block, 0, block.length);
        }
        double code = mbps(bytes, System.nanoTime() - t);

        List<ShardmeshNode> local = new ArrayList<>();
        Path dir = null;
        try {
            HostPort target = global.node();
            if (nodes != null) {
                if (nodes < 1 || nodes > 32) {
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--nodes must be 1..32");
                }
                dir = Files.createTempDirectory("shardmesh-bench-");
                for (int i = 0; i < nodes; i++) {
                    NodeBuilder b = ShardmeshNode.builder(dir.resolve("n" + i)).listen(new HostPort("127.0.0.1", 0));
                    if (i > 0) {
                        b.configure(c -> c.withBootstrap(List.of(new HostPort("127.0.0.1", local.get(0).port()))));
                    }
                    local.add(b.start());
                }
                for (ShardmeshNode n : local.subList(1, local.size())) {
                    n.join(List.of(new HostPort("127.0.0.1", local.get(0).port()))).block(DemoCommand.STEP);
                }
                target = new HostPort("127.0.0.1", local.get(0).port());
            }
            try (ClientMesh mesh = ClientMesh.connect(target)) {
                t = System.nanoTime();
                FilePut.Result r = mesh.put.put(new FilePut.Options("bench.bin", 4, 2, MIB, false, true), Flux.range(0, mib).map(i -> {
                    byte[] b = new byte[MIB];
                    new Random(i).nextBytes(b);
                    return ByteBuffer.wrap(b);
                })).block(Duration.ofHours(1));
                double put = mbps(bytes, System.nanoTime() - t);
                t = System.nanoTime();
                long read = read(mesh.get, r.fileId());
                double get = mbps(read, System.nanoTime() - t);
                out.printf(Locale.ROOT, "%-36s %10s%n", "what (" + mib + " MiB, 4+2, 1 MiB shards)", "MB/s");
                out.printf(Locale.ROOT, "%-36s %10.1f%n", "SHA-256, one core (this machine)", sha);
                out.printf(Locale.ROOT, "%-36s %10.1f%n", "Reed-Solomon 4+2 encode, one core", code);
                out.printf(Locale.ROOT, "%-36s %10.1f  (%.2f x SHA-256)%n", "put" + (nodes != null ? " (" + nodes + " local nodes)" : ""), put, put / sha);
                out.printf(Locale.ROOT, "%-36s %10.1f  (%.2f x SHA-256)%n", "get", get, get / sha);
                r.warnings().forEach(w -> spec.commandLine().getErr().println("warning: " + w));
                // Leave nothing behind on the user's mesh: delete the benchmark file (its shards
                // are collected after the grace period).
                mesh.delete.delete(r.fileId(), mesh.owner.id()).block(DemoCommand.STEP);
            }
        } finally {
            local.forEach(ShardmeshNode::close);
            if (dir != null) {
                try (var s = Files.walk(dir)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static long read(FileGet get, ContentId id) {
        return get.read(id, Optional.empty(), 0, 0).map(b -> (long) b.remaining()).reduce(0L, Long::sum).block(Duration.ofHours(1));
    }

    private static double mbps(long bytes, long nanos) {
        return bytes / 1e6 / (nanos / 1e9);
    }
}
