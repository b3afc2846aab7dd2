package io.shardmesh.common.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.id.NodeId;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

class FileHealthTest {

    static final Duration WAIT = Duration.ofSeconds(20);

    private static FilePut.Result put(FakeMesh mesh, int seed) {
        byte[] data = new byte[3 * 4 * 1024];
        new Random(seed).nextBytes(data);
        return new FilePut(mesh, TransferConfig.defaults(), Schedulers.parallel())
                .put(new FilePut.Options("f" + seed, 4, 2, 1024, false), Flux.just(ByteBuffer.wrap(data))).block(WAIT);
    }

    @Test
    void aDeadHolder_isAskedOncePerSharedSet_andHoldsNothingInEveryFile() {
        FakeMesh mesh = new FakeMesh(6);
        FilePut.Result a = put(mesh, 1);
        FilePut.Result b = put(mesh, 2);
        Contact dead = mesh.nodes.get(3);
        mesh.down.add(dead.id());
        FileGet get = new FileGet(mesh, TransferConfig.defaults(), Schedulers.parallel(), Schedulers.parallel());
        FileHealth health = new FileHealth(mesh);
        Set<NodeId> unreachable = ConcurrentHashMap.newKeySet();

        List<FileHealth.Stripe> first = health.probe(get.resolve(a.fileId(), Optional.empty()).block(WAIT), unreachable).block(WAIT);
        List<FileHealth.Stripe> second = health.probe(get.resolve(b.fileId(), Optional.empty()).block(WAIT), unreachable).block(WAIT);

        assertThat(unreachable).containsExactly(dead.id());
        assertThat(mesh.hasCalls.get(dead.id())).as("HasChunks calls to the dead holder").isEqualTo(1);
        for (List<FileHealth.Stripe> stripes : List.of(first, second)) {
            for (FileHealth.Stripe s : stripes) {
                assertThat(s.liveShards()).isEqualTo(5);
                assertThat(s.lossesSurvivable()).isEqualTo(1);
                assertThat(s.liveHolders()).noneMatch(l -> l.contains(dead));
            }
        }
        // Without a shared set each probe asks again.
        health.probe(get.resolve(b.fileId(), Optional.empty()).block(WAIT)).block(WAIT);
        assertThat(mesh.hasCalls.get(dead.id())).isEqualTo(2);
    }
}
