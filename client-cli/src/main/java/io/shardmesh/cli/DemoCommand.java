package io.shardmesh.cli;

import io.shardmesh.common.hash.Sha256;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.transfer.FileGet;
import io.shardmesh.common.transfer.FilePut;
import io.shardmesh.common.units.Sizes;
import io.shardmesh.server.files.FilesService;
import io.shardmesh.server.node.NodeBuilder;
import io.shardmesh.server.node.ShardmeshNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import reactor.core.publisher.Flux;

/** {@code shardmesh demo}: the whole story on three local nodes, in one process. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start a 3-node mesh on loopback, store a file, read it back, stop a node, read it again.",
        footer = {"", "Example:", "  shardmesh demo", "  shardmesh demo --size 64MiB"})
final class DemoCommand implements Callable<Integer> {

    static final Duration STEP = Duration.ofSeconds(60);

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    GlobalOptions global;

    @Option(names = "--size", paramLabel = "SIZE", defaultValue = "8MiB",
            converter = io.shardmesh.common.cli.SizeConverter.class,
            description = "Size of the generated file (default: ${DEFAULT-VALUE}).")
    long size;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path dir = Files.createTempDirectory("shardmesh-demo-");
        List<ShardmeshNode> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                NodeBuilder b = ShardmeshNode.builder(dir.resolve("node" + (i + 1))).listen(new HostPort("127.0.0.1", 0));
                if (i > 0) {
                    b.configure(c -> c.withBootstrap(List.of(new HostPort("127.0.0.1", nodes.get(0).port()))));
                }
                nodes.add(b.start());
            }
            for (ShardmeshNode n : nodes.subList(1, 3)) {
                n.join(List.of(new HostPort("127.0.0.1", nodes.get(0).port()))).block(STEP);
            }
            out.printf("1. started 3 nodes on 127.0.0.1 ports %d, %d, %d (data in %s)%n",
                    nodes.get(0).port(), nodes.get(1).port(), nodes.get(2).port(), dir);

            Sha256.Hasher original = Sha256.hasher();
            int mib = 1 << 20;
            long chunks = (size + mib - 1) / mib;
            Flux<ByteBuffer> data = Flux.range(0, (int) chunks).map(i -> {
                byte[] b = new byte[(int) Math.min(mib, size - (long) i * mib)];
                new Random(i).nextBytes(b);
                original.update(b);
                return ByteBuffer.wrap(b);
            });
            FilePut.Result put = nodes.get(0).files()
                    .put(new FilePut.Options("demo.bin", 2, 1, 1 << 20, false), data).block(STEP);
            ContentId expected = original.finish();
            out.printf("2. stored %s (%s) through node 1: %d stripe(s), each 2 data + 1 parity shard on 3 nodes%n",
                    "demo.bin", Sizes.format(size), put.manifest().stripes().size());
            out.printf("   file id %s%n", put.fileId());

            ContentId read = readAll(nodes.get(1).files(), put.fileId());
            out.printf("3. read it back through node 2: %s%n", read.equals(expected) ? "identical, SHA-256 checked" : "MISMATCH");

            ShardmeshNode stopped = nodes.get(2);
            stopped.close();
            out.printf("4. stopped node 3 (port %d): it held a third of every stripe%n", stopped.port());

            ContentId degraded = readAll(nodes.get(0).files(), put.fileId());
            out.printf("5. read it again through node 1 with node 3 down: %s%n",
                    degraded.equals(expected) ? "identical, from the 2 shards left in each stripe (Reed-Solomon"
                            + " rebuilt the stripes whose data shard was on node 3)" : "MISMATCH");

            FileGet.Resolved r = nodes.get(0).files().resolve(put.fileId(), Optional.empty()).block(STEP);
            out.println("6. where the shards of stripe 0 live (the \"shares\" view):");
            List<ContentId> stripe = r.manifest().stripes().get(0);
            for (int j = 0; j < stripe.size(); j++) {
                int shard = j;
                String holders = r.holders().getOrDefault(stripe.get(j), List.of()).stream()
                        .map(c -> c.port() + (c.port() == stopped.port() ? " (down)" : ""))
                        .reduce((a, b) -> a + ", " + b).orElse("?");
                out.printf("   %s shard %d  %s...  on port %s%n", shard < r.manifest().k() ? "data  " : "parity",
                        shard, stripe.get(j).hex().substring(0, 16), holders);
            }
            boolean ok = read.equals(expected) && degraded.equals(expected);
            out.println(ok ? "Demo complete: any one of the three nodes can vanish and the file still reads back, bit for bit."
                    : "Demo FAILED: the bytes read back differ from the bytes stored.");
            out.flush();
            return ok ? ExitCodes.OK : ExitCodes.INTEGRITY;
        } finally {
            nodes.forEach(ShardmeshNode::close);
            deleteTree(dir);
        }
    }

    private static ContentId readAll(FilesService get, ContentId fileId) {
        Sha256.Hasher h = Sha256.hasher();
        get.read(fileId, Optional.empty(), 0, 0).doOnNext(h::update).blockLast(STEP);
        return h.finish();
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // A temp dir left behind is not worth failing the demo for.
        }
    }
}
