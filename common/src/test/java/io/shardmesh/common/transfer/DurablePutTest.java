package io.shardmesh.common.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.error.ErrorKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * A put that succeeds keeps its promise (every stripe on k + m distinct live holders, so any m
 * of them can go), a holder that fails on the way is replaced, and a put that fails leaves
 * nothing behind: no pin, no stored chunk, no space held.
 */
class DurablePutTest {

    private static final int SHARD = 1024;
    private static final int K = 4;
    private static final int M = 2;
    private final TransferConfig config = TransferConfig.defaults();

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static FilePut.Result put(FakeMesh mesh, byte[] data, boolean allowDegraded) {
        return new FilePut(mesh, TransferConfig.defaults(), Schedulers.parallel())
                .put(new FilePut.Options("f", K, M, SHARD, false, allowDegraded), Flux.just(ByteBuffer.wrap(data)))
                .block(Duration.ofSeconds(20));
    }

    private byte[] read(FakeMesh mesh, ContentId id) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FileGet(mesh, config, Schedulers.parallel(), Schedulers.parallel()).read(id, Optional.empty(), 0, 0).doOnNext(b -> {
            byte[] x = new byte[b.remaining()];
            b.get(x);
            out.writeBytes(x);
        }).blockLast(Duration.ofSeconds(20));
        return out.toByteArray();
    }

    /** Every stripe's holders are k + m distinct nodes, and the result says it survives m losses. */
    private static void assertFullRedundancy(FilePut.Result r) {
        assertThat(r.lossesSurvived()).isEqualTo(M);
        for (List<Contact> stripe : r.holders()) {
            assertThat(stripe.stream().map(Contact::id).distinct()).hasSize(K + M);
        }
    }

    /** Takes the holders of the most shards of stripe 0 away, m of them, and reads the file back. */
    private void assertSurvivesMLosses(FakeMesh mesh, FilePut.Result r, byte[] data) {
        Set<NodeId> down = new HashSet<>();
        for (Contact c : r.holders().get(0)) {
            if (down.size() < M && !r.manifestHolders().get(0).id().equals(c.id())) {
                down.add(c.id());
            }
        }
        mesh.down.addAll(down);
        assertThat(read(mesh, r.fileId())).isEqualTo(data);
        mesh.down.removeAll(down);
    }

    private static void assertNothingLeft(FakeMesh mesh) {
        assertThat(mesh.pins.values()).allSatisfy(p -> assertThat(p).isEmpty());
        assertThat(mesh.stored.values()).allSatisfy(s -> assertThat(s).isEmpty());
        assertThat(mesh.published).isEmpty();
    }

    @Test
    void put_healthyMesh_placesEveryStripeOnDistinctHolders() {
        FakeMesh mesh = new FakeMesh(8);
        byte[] data = random(3 * K * SHARD + 5, 1);

        FilePut.Result r = put(mesh, data, false);

        assertFullRedundancy(r);
        assertThat(r.warnings()).isEmpty();
        assertThat(r.manifestHolders()).hasSize(config.manifestReplicas());
        assertSurvivesMLosses(mesh, r, data);
    }

    @Test
    void put_uploadFailure_isPlacedOnTheNextNode_withFullRedundancy() {
        FakeMesh mesh = new FakeMesh(7);
        mesh.failUploads.add(mesh.nodes.get(2).id());
        byte[] data = random(2 * K * SHARD, 2);

        FilePut.Result r = put(mesh, data, false);

        assertThat(mesh.stored.get(mesh.nodes.get(2).id())).isEmpty();
        assertFullRedundancy(r);
        assertThat(r.holders()).allSatisfy(h -> assertThat(h).doesNotContain(mesh.nodes.get(2)));
        assertSurvivesMLosses(mesh, r, data);
    }

    @Test
    void put_holderDiesBetweenUploadAndPin_itsShardsAreRebuiltOnAnotherNode() {
        FakeMesh mesh = new FakeMesh(8);
        byte[] data = random(3 * K * SHARD, 3);
        // The first holder to be asked for a pin is gone by then: its shards must move.
        Contact[] victim = new Contact[1];
        mesh.beforeFirstPin = () -> {
            victim[0] = mesh.nodes.stream().filter(n -> !mesh.stored.get(n.id()).isEmpty()).findFirst().orElseThrow();
            mesh.down.add(victim[0].id());
        };

        FilePut.Result r = put(mesh, data, false);

        assertFullRedundancy(r);
        assertThat(r.holders()).allSatisfy(h -> assertThat(h).doesNotContain(victim[0]));
        assertThat(r.manifestHolders()).doesNotContain(victim[0]).hasSize(config.manifestReplicas());
        // The victim stays down: the file still survives m more losses.
        assertSurvivesMLosses(mesh, r, data);
    }

    @Test
    void put_fewerLiveNodesThanShards_failsBeforeUploadingAnything() {
        FakeMesh mesh = new FakeMesh(6);
        mesh.down.add(mesh.nodes.get(0).id());

        assertThatThrownBy(() -> put(mesh, random(K * SHARD, 4), false))
                .isInstanceOfSatisfying(MeshException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE))
                .hasMessageContaining("only 5 live node(s) for 4 + 2 = 6 shards per stripe");
        assertThat(mesh.calls).isEmpty();
        assertNothingLeft(mesh);
    }

    @Test
    void put_fewerNodesThanShards_allowedDegraded_spreadsEvenlyAndSaysWhatItSurvives() {
        FakeMesh three = new FakeMesh(3);

        FilePut.Result r = put(three, random(K * SHARD, 7), true);

        assertThat(r.warnings()).singleElement().asString().contains("only 3 live node(s) for 4 + 2 = 6 shards");
        // 6 shards on 3 nodes, two each: losing one node costs two shards, so it survives one loss.
        assertThat(r.lossesSurvived()).isEqualTo(1);
        three.stored.values().forEach(m -> assertThat(m).hasSize(3));
    }

    @Test
    void put_holderDiesAtThePinAndNoNodeIsLeftToTakeItsShards_failsAndLeavesNothing() {
        FakeMesh mesh = new FakeMesh(6);
        mesh.beforeFirstPin = () -> mesh.down.add(mesh.nodes.get(3).id());
        byte[] data = random(2 * K * SHARD, 5);

        assertThatThrownBy(() -> put(mesh, data, false))
                .isInstanceOfSatisfying(MeshException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE))
                .hasMessageContaining("stripe");
        mesh.down.clear();
        // What the dead node had is its own; the five others released everything.
        mesh.stored.get(mesh.nodes.get(3).id()).clear();
        mesh.pins.get(mesh.nodes.get(3).id()).clear();
        assertNothingLeft(mesh);
    }

    @Test
    void put_everyNodeFull_failsResourceExhaustedNamingTheStripe_andLeavesNothing() {
        FakeMesh mesh = new FakeMesh(6);
        mesh.nodes.forEach(n -> mesh.full.add(n.id()));

        assertThatThrownBy(() -> put(mesh, random(100, 6), false))
                .isInstanceOfSatisfying(MeshException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.RESOURCE_EXHAUSTED))
                .hasMessageContaining("stripe 0").hasMessageContaining("quota");
        assertNothingLeft(mesh);
    }

    @Test
    void put_subscriberCancelsOnceItHasTheResult_keepsThePut() {
        FakeMesh mesh = new FakeMesh(6);
        byte[] data = random(K * SHARD, 12);
        // take(1) cancels between the value and the completion, as a unary gRPC response does.
        FilePut.Result r = new FilePut(mesh, config, Schedulers.parallel())
                .put(new FilePut.Options("f", K, M, SHARD, false), Flux.just(ByteBuffer.wrap(data)))
                .flux().take(1).blockLast(Duration.ofSeconds(20));

        assertThat(mesh.pins.values()).allSatisfy(p -> assertThat(p).containsKey(r.fileId()));
        assertThat(read(mesh, r.fileId())).isEqualTo(data);
    }

    @Test
    void put_degradedOnOneFullNode_failsResourceExhaustedInsteadOfRetryingForever() {
        FakeMesh one = new FakeMesh(1);
        one.full.add(one.nodes.get(0).id());

        assertThatThrownBy(() -> put(one, random(3 * SHARD, 10), true))
                .isInstanceOfSatisfying(MeshException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.RESOURCE_EXHAUSTED));
    }

    @Test
    void put_oneNodeFull_placesItsShardsOnTheOthers_withFullRedundancy() {
        FakeMesh mesh = new FakeMesh(7);
        mesh.full.add(mesh.nodes.get(4).id());
        byte[] data = random(2 * K * SHARD + 1, 8);

        FilePut.Result r = put(mesh, data, false);

        assertFullRedundancy(r);
        assertThat(mesh.stored.get(mesh.nodes.get(4).id())).isEmpty();
        assertSurvivesMLosses(mesh, r, data);
    }

    @Test
    void put_twoContactsOnOneAddress_countAsOneHost() {
        FakeMesh mesh = new FakeMesh(6);
        // A node rebuilt with a new key on an old address, still listed under the old identity too.
        Contact old = mesh.nodes.get(5);
        mesh.nodes.add(new Contact(NodeId.random(), old.host(), old.port()));

        assertThat(Placement.distinctHosts(mesh.nodes)).hasSize(6);
        FilePut.Result r = put(mesh, random(K * SHARD, 9), false);
        assertFullRedundancy(r);
        for (List<Contact> stripe : r.holders()) {
            assertThat(stripe.stream().map(Contact::address).distinct()).hasSize(K + M);
        }
    }
}
