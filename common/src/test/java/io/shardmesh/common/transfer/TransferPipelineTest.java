package io.shardmesh.common.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardmesh.common.crypto.StripeCipher;
import io.shardmesh.common.error.ErrorKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.test.scheduler.VirtualTimeScheduler;

/** The put and get pipelines over an in-memory mesh with misbehaving holders. */
class TransferPipelineTest {

    private static final int SHARD = 1024;
    private final FakeMesh mesh = new FakeMesh(6);
    private final TransferConfig config = TransferConfig.defaults().withHedge(Duration.ofMillis(100), Duration.ofMillis(20), Duration.ofMillis(200));
    private final FilePut put = new FilePut(mesh, config, Schedulers.parallel());
    private final FileGet get = new FileGet(mesh, config, Schedulers.parallel(), Schedulers.parallel());

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private FilePut.Result store(byte[] data, boolean encrypt) {
        return put.put(new FilePut.Options("f", 4, 2, SHARD, encrypt), Flux.just(ByteBuffer.wrap(data))).block(Duration.ofSeconds(10));
    }

    private byte[] read(ContentId id, Optional<byte[]> key) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        get.read(id, key, 0, 0).doOnNext(b -> {
            byte[] x = new byte[b.remaining()];
            b.get(x);
            out.writeBytes(x);
        }).blockLast(Duration.ofSeconds(20));
        return out.toByteArray();
    }

    @Test
    void get_holderServingWrongBytes_isRoutedAroundAndMarked() {
        byte[] data = random(3 * 4 * SHARD, 1);
        FilePut.Result r = store(data, false);
        // A holder of a data shard: those are read first, so its lie is met for sure.
        ContentId dataShard = r.manifest().stripes().get(0).get(0);
        var liar = mesh.nodes.stream().filter(n -> mesh.stored.get(n.id()).containsKey(dataShard)).findFirst().orElseThrow();
        mesh.tamper.put(liar.id(), b -> {
            b[0] ^= 1;
            return b;
        });
        assertThat(read(r.fileId(), Optional.empty())).isEqualTo(data);
        assertThat(get.markedHolders()).contains(liar.id());
    }

    @Test
    void get_holderServingAValidShardOfAnotherIndex_isRejected() {
        byte[] data = random(4 * SHARD, 2);
        FilePut.Result r = store(data, false);
        List<ContentId> stripe = r.manifest().stripes().get(0);
        // The holder of data shard 0 answers with the bytes of shard 1: valid bytes, wrong shard.
        byte[] shardOne = mesh.stored.values().stream().map(m -> m.get(stripe.get(1))).filter(b -> b != null).findFirst().orElseThrow();
        var swapper = mesh.nodes.stream().filter(n -> n.id().equals(holderOf(stripe.get(0)))).findFirst().orElseThrow();
        mesh.tamper.put(swapper.id(), b -> shardOne.clone());
        assertThat(read(r.fileId(), Optional.empty())).isEqualTo(data);
        assertThat(get.markedHolders()).contains(swapper.id());
    }

    @Test
    void get_withMPlusOneHoldersDown_failsUnavailableNamingTheStripe() {
        byte[] data = random(4 * SHARD, 3);
        FilePut.Result r = store(data, false);
        // Three nodes that do not keep the manifest (so the read gets as far as the stripes).
        mesh.nodes.stream().filter(n -> !mesh.stored.get(n.id()).containsKey(r.fileId())).limit(3)
                .forEach(n -> mesh.down.add(n.id()));
        assertThat(mesh.down).hasSize(3);
        assertThatThrownBy(() -> read(r.fileId(), Optional.empty()))
                .isInstanceOf(MeshException.class)
                .hasMessageContaining("stripe 0")
                .satisfies(e -> assertThat(((MeshException) e).kind()).isIn(ErrorKind.UNAVAILABLE, ErrorKind.NOT_FOUND));
    }

    @Test
    void get_stalledHolder_isHedged_notWaitedFor() {
        byte[] data = random(2 * 4 * SHARD, 4);
        FilePut.Result r = store(data, false);
        var stalled = holderOf(r.manifest().stripes().get(0).get(0));
        mesh.stalled.add(stalled);

        VirtualRead read = readOnVirtualTime(r.fileId());

        assertThat(mesh.stalledGets.getOrDefault(stalled, 0)).as("the stalled holder was asked").isPositive();
        assertThat(read.error()).isNull();
        assertThat(read.bytes()).isEqualTo(data);
        // The stall would last 30 s; the hedge asks another holder after at most 200 ms, per stripe.
        assertThat(read.endedAtMs()).as("virtual ms at which the read ended").isBetween(0L, 2_000L);
    }

    /** What a read on virtual time gave, and when (virtual ms) it ended. */
    private record VirtualRead(byte[] bytes, Throwable error, long endedAtMs) {
    }

    /**
     * Reads {@code fileId} with every delay on a virtual clock (the hedge, and the 30 s deadline
     * of stalled calls), advanced a minute in one step: a loaded machine cannot make it late, and
     * a reader that waited for a stalled holder shows as ending at 30 s.
     */
    private VirtualRead readOnVirtualTime(ContentId fileId) {
        VirtualTimeScheduler time = VirtualTimeScheduler.create();
        mesh.timer = time;
        FileGet reader = new FileGet(mesh, config, Schedulers.immediate(), time);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AtomicLong endedAtMs = new AtomicLong(-1);
        AtomicReference<Throwable> error = new AtomicReference<>();
        reader.read(fileId, Optional.empty(), 0, 0).subscribe(b -> {
            byte[] x = new byte[b.remaining()];
            b.get(x);
            out.writeBytes(x);
        }, e -> {
            error.set(e);
            endedAtMs.set(time.now(TimeUnit.MILLISECONDS));
        }, () -> endedAtMs.set(time.now(TimeUnit.MILLISECONDS)));
        // Past the stalled calls' deadline, so the read ends either way and says when.
        time.advanceTimeBy(Duration.ofSeconds(60));
        return new VirtualRead(out.toByteArray(), error.get(), endedAtMs.get());
    }

    /**
     * The last stripe of a file one byte longer than a stripe holds one byte: its data shards 1..3
     * are identical zero padding, so they share one id and one holder list, and every one of them
     * is first asked of the same node. When that node stalls, the other holders must be asked as
     * soon as a hedge delay passes, not when the stalled calls hit their 30 s deadline.
     */
    @Test
    void get_stalledFirstHolderOfSharedPaddingShards_isHedgedToTheOtherHolders() {
        byte[] data = random(4 * SHARD + 1, 9);
        FilePut.Result r = store(data, false);
        List<ContentId> last = r.manifest().stripes().get(1);
        ContentId padding = last.get(1);
        assertThat(last.subList(1, 4)).as("the padding shards share one id").containsOnly(padding);
        // The reader lists holders in the order of the provider records: FakeMesh's node order.
        var holders = mesh.nodes.stream().filter(n -> mesh.pins.get(n.id()).getOrDefault(r.fileId(), List.of()).contains(padding)).toList();
        assertThat(holders).hasSize(3);
        var stalled = holders.get(0);
        mesh.stalled.add(stalled.id());

        VirtualRead read = readOnVirtualTime(r.fileId());

        assertThat(mesh.stalledGets.getOrDefault(stalled.id(), 0)).as("the stalled holder was asked").isPositive();
        assertThat(read.error()).isNull();
        assertThat(read.bytes()).isEqualTo(data);
        // A handful of hedge delays (at most 200 ms each), not the 30 s deadline of the stalled calls.
        assertThat(read.endedAtMs()).as("virtual ms at which the read ended").isBetween(0L, 2_000L);
    }

    @Test
    void get_dataShardRebuiltFromWrongParity_failsWithDataLoss_andEmitsNothingOfTheStripe() {
        byte[] data = random(4 * SHARD, 10);
        FilePut.Result r = store(data, false);
        var m = r.manifest();
        List<ContentId> ids = m.stripes().get(0);
        // A hostile writer's file: the same data shards, but parity 4 is junk stored under its
        // own hash, so every shard matches its id while the stripe does not decode to the data.
        byte[] junk = random(SHARD, 11);
        ContentId junkId = io.shardmesh.common.hash.Sha256.of(junk);
        List<ContentId> hostile = new java.util.ArrayList<>(ids);
        hostile.set(4, junkId);
        mesh.stored.get(holderOf(ids.get(4))).put(junkId, junk);
        var forged = new io.shardmesh.common.manifest.Manifest(m.size(), m.contentSha256(), m.name(), m.k(), m.m(),
                m.shardSize(), List.of(hostile), m.encryption(), m.ownerId());
        ContentId forgedId = io.shardmesh.common.manifest.ManifestCodec.fileId(forged);
        NodeId manifestHolder = holderOf(ids.get(1));
        mesh.stored.get(manifestHolder).put(forgedId, io.shardmesh.common.manifest.ManifestCodec.toBytes(forged));
        for (var n : mesh.nodes) {
            List<ContentId> held = new java.util.ArrayList<>(hostile.stream().filter(mesh.stored.get(n.id())::containsKey).toList());
            if (n.id().equals(manifestHolder)) {
                held.add(forgedId);
            }
            mesh.pins.get(n.id()).put(forgedId, held);
        }
        // Data shard 0 and parity 5 down: the reader must rebuild shard 0 from the junk parity.
        mesh.down.add(holderOf(ids.get(0)));
        mesh.down.add(holderOf(ids.get(5)));

        List<ByteBuffer> emitted = new java.util.ArrayList<>();
        assertThatThrownBy(() -> get.read(forgedId, Optional.empty(), 0, 0).doOnNext(emitted::add).blockLast(Duration.ofSeconds(20)))
                .isInstanceOf(MeshException.class)
                .hasMessageContaining("data shard 0 rebuilt from parity does not match its id")
                .satisfies(e -> assertThat(((MeshException) e).kind()).isEqualTo(ErrorKind.DATA_LOSS));
        assertThat(emitted).isEmpty();
    }

    private NodeId holderOf(ContentId chunk) {
        return mesh.stored.entrySet().stream().filter(e -> e.getValue().containsKey(chunk)).findFirst().orElseThrow().getKey();
    }

    @Test
    void encrypted_wrongKeyIsPermissionDenied_andNoPlaintextIsEmitted() {
        byte[] data = random(4 * SHARD + 7, 8);
        FilePut.Result r = store(data, true);
        assertThat(read(r.fileId(), r.key())).isEqualTo(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThatThrownBy(() -> get.read(r.fileId(), Optional.of(StripeCipher.newKey()), 0, 0)
                .doOnNext(b -> out.write(0)).blockLast(Duration.ofSeconds(10)))
                .satisfies(e -> assertThat(((MeshException) e).kind()).isEqualTo(ErrorKind.PERMISSION_DENIED));
        assertThat(out.size()).isZero();
        // Peers only ever saw ciphertext: no stored shard contains the plaintext's first 64 bytes.
        byte[] head = Arrays.copyOf(data, 64);
        mesh.stored.values().forEach(m -> m.values().forEach(b ->
                assertThat(indexOf(b, head)).isNegative()));
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
