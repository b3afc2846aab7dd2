package io.shardmesh.server.files;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.dht.KademliaConfig;
import io.shardmesh.common.hash.Sha256;
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
 * Puts and reads back a file several times larger than the heap this test runs with (its own
 * surefire execution sets -Xmx160m; see server/pom.xml): memory is bounded by the stripe window,
 * not by the file. Six nodes, their stores and the reader all share that heap.
 */
class SmallHeapReadTest {

    static final int MIB = 1 << 20;
    static final int FILE_MIB = 512;

    @TempDir
    Path dir;

    @Test
    @Timeout(600)
    void putAndGet_fileThreeTimesTheHeap_streamsWithinIt() {
        long maxHeap = Runtime.getRuntime().maxMemory();
        assertThat(maxHeap).as("run by its own execution with a small heap").isLessThan(256L * MIB);
        assertThat((long) FILE_MIB * MIB).isGreaterThan(3 * maxHeap);

        try (InProcessMesh mesh = new InProcessMesh(dir)) {
            DhtConfig s = DhtConfig.defaults().withKademlia(KademliaConfig.defaults().withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(10)));
            List<ShardmeshNode> nodes = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                nodes.add(mesh.start(dir.resolve("n" + i), 41_000 + i, s,
                        b -> b.configure(c -> c.withChunks(ChunkConfig.defaults().withHotCache(2L * MIB, MIB)))));
            }
            for (ShardmeshNode n : nodes) {
                n.kademlia().join(List.of(), List.of(InProcessMesh.address(nodes.get(0)))).block();
            }
            Sha256.Hasher expected = Sha256.hasher();
            Flux<ByteBuffer> data = Flux.range(0, FILE_MIB).map(i -> {
                byte[] b = new byte[MIB];
                new Random(i).nextBytes(b);
                expected.update(b);
                return ByteBuffer.wrap(b);
            });
            FilePut.Result r = nodes.get(0).files().put(new FilePut.Options("big", 4, 2, MIB, false), data)
                    .block(Duration.ofMinutes(5));
            assertThat(r.manifest().size()).isEqualTo((long) FILE_MIB * MIB);

            Sha256.Hasher got = Sha256.hasher();
            long n = nodes.get(3).files().read(r.fileId(), Optional.empty(), 0, 0)
                    // A deliberately slow consumer, one buffer at a time: backpressure must hold the fetches back.
                    .limitRate(1)
                    .map(b -> {
                        int len = b.remaining();
                        got.update(b);
                        return (long) len;
                    })
                    .reduce(0L, Long::sum)
                    .block(Duration.ofMinutes(5));
            assertThat(n).isEqualTo((long) FILE_MIB * MIB);
            assertThat(got.finish()).isEqualTo(expected.finish());
        }
    }
}
