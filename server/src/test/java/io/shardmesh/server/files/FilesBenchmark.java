package io.shardmesh.server.files;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.shardmesh.common.dht.KademliaConfig;
import io.shardmesh.common.erasure.ErasureCodec;
import io.shardmesh.common.hash.Sha256;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.transfer.FilePut;
import io.shardmesh.server.chunk.ChunkConfig;
import io.shardmesh.server.dht.DhtConfig;
import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.InProcessMesh;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/**
 * Put and get throughput of a 256 MiB file on a 6-node in-process mesh (k = 4, m = 2, 1 MiB
 * shards), the same get with two nodes down, and this machine's SHA-256 and Reed-Solomon encode
 * speed measured in the same run as the baseline. A benchmark, not a test: it asserts nothing
 * and runs only with {@code -Dshardmesh.bench=true}:
 *
 * <pre>mvn -B -pl server -am test -Dtest=FilesBenchmark -Dshardmesh.bench=true -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
class FilesBenchmark {

    static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    @Test
    @Timeout(900)
    void putAndGet256MiB() {
        assumeTrue(Boolean.getBoolean("shardmesh.bench"), "benchmark: run with -Dshardmesh.bench=true");
        int sizeMiB = Integer.getInteger("shardmesh.bench.mib", 256);
        long size = (long) sizeMiB * MIB;

        // Baselines, measured now on this machine.
        byte[] block = new byte[4 * MIB];
        new Random(1).nextBytes(block);
        long t = System.nanoTime();
        for (int i = 0; i < sizeMiB / 4; i++) {
            Sha256.of(block);
        }
        double shaMBs = mbps(size, System.nanoTime() - t);
        ErasureCodec rs = ErasureCodec.create(4, 2);
        t = System.nanoTime();
        for (int i = 0; i < sizeMiB / 4; i++) {
            rs.encode(block, 0, block.length);
        }
        double rsMBs = mbps(size, System.nanoTime() - t);

        try (InProcessMesh mesh = new InProcessMesh(dir)) {
            DhtConfig s = DhtConfig.defaults().withKademlia(KademliaConfig.defaults().withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(10)));
            List<ShardmeshNode> nodes = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                ShardmeshNode n = mesh.start(dir.resolve("n" + i), 40_000 + i, s,
                        b -> b.configure(c -> c.withChunks(ChunkConfig.defaults().withHotCache(16L * MIB, 4 * MIB))));
                nodes.add(n);
            }
            for (ShardmeshNode n : nodes) {
                n.kademlia().join(List.of(), List.of(InProcessMesh.address(nodes.get(0)))).block();
            }
            // Warm-up (JIT, channels, caches) on a small file, not measured.
            FilePut.Result warm = nodes.get(0).files().put(new FilePut.Options("warm", 4, 2, MIB, false),
                    Flux.range(0, 32).map(i -> ByteBuffer.wrap(new byte[MIB]))).block();
            timeGet(nodes.get(1), warm.fileId(), 32L * MIB);
            Flux<ByteBuffer> data = Flux.range(0, sizeMiB).map(i -> {
                byte[] b = new byte[MIB];
                new Random(i).nextBytes(b);
                return ByteBuffer.wrap(b);
            });
            t = System.nanoTime();
            FilePut.Result r = nodes.get(0).files().put(new FilePut.Options("bench", 4, 2, MIB, false), data).block();
            double putMBs = mbps(size, System.nanoTime() - t);

            double getMBs = timeGet(nodes.get(1), r.fileId(), size);
            mesh.down(nodes.get(2));
            mesh.down(nodes.get(3));
            double degradedMBs = timeGet(nodes.get(1), r.fileId(), size);

            System.out.printf("BENCH %d MiB, 6 in-process nodes, k=4 m=2, 1 MiB shards:%n", sizeMiB);
            System.out.printf("BENCH   SHA-256 (this machine, one core) %8.1f MB/s%n", shaMBs);
            System.out.printf("BENCH   RS 4+2 encode (one core)          %8.1f MB/s%n", rsMBs);
            System.out.printf("BENCH   put                               %8.1f MB/s (%.2f x SHA-256)%n", putMBs, putMBs / shaMBs);
            System.out.printf("BENCH   get                               %8.1f MB/s (%.2f x SHA-256)%n", getMBs, getMBs / shaMBs);
            System.out.printf("BENCH   get, 2 of 6 nodes down            %8.1f MB/s (%.2f x healthy get)%n", degradedMBs, degradedMBs / getMBs);
        }
    }

    private static double timeGet(ShardmeshNode via, ContentId id, long size) {
        long t = System.nanoTime();
        long n = via.files().read(id, Optional.empty(), 0, 0).map(ByteBuffer::remaining)
                .reduce(0L, (a, b) -> a + b).block();
        if (n != size) {
            throw new AssertionError("read " + n + " bytes, expected " + size);
        }
        return mbps(size, System.nanoTime() - t);
    }

    private static double mbps(long bytes, long nanos) {
        return bytes / 1e6 / (nanos / 1e9);
    }
}
