package io.shardmesh.it.durable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.ContactListener;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.grpc.GrpcMesh;
import io.shardmesh.common.grpc.PeerChannels;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.manifest.ManifestCodec;
import io.shardmesh.common.transfer.FileDirectory;
import io.shardmesh.common.transfer.FilePut;
import io.shardmesh.common.transfer.Mesh;
import io.shardmesh.common.transfer.TransferConfig;
import io.shardmesh.it.harness.FileCalls;
import io.shardmesh.it.harness.ProcessCleanup;
import io.shardmesh.it.harness.ProcessMesh;
import io.shardmesh.it.harness.Tls;
import io.shardmesh.proto.v1.FilesGrpc;
import io.shardmesh.proto.v1.FilesListRequest;
import io.shardmesh.proto.v1.FilesStatResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToIntFunction;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A holder is killed -9 in the middle of a put: while shards upload, while the manifest is
 * stored, or at the pin. Eight node processes, each on its own loopback address, so a host is
 * an address. Every put must either succeed with full redundancy, proven by killing m more of
 * its holders and reading it back bit for bit, or fail and leave nothing: no file listed or
 * readable, and no space held on the nodes that lived. The put runs in this JVM over the real
 * gRPC client (the pipeline the CLI runs), so the kill lands exactly at the step chosen.
 */
class PutUnderKillIT {

    static final int NODES = 8;
    static final int K = 4;
    static final int M = 2;
    static final int SHARD = 64 << 10;
    /** 10 per step: each round restarts three node JVMs, about 7 s on a 2-core machine. */
    static final int ROUNDS = Integer.getInteger("shardmesh.put.kill.rounds", 30);
    static final Duration PUT_DEADLINE = Duration.ofSeconds(120);

    /** Where in a put the holder dies. */
    enum Step { UPLOAD, MANIFEST, PIN }

    @TempDir
    Path dir;

    @RegisterExtension
    final ProcessCleanup cleanup = new ProcessCleanup();

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void holderKilledMidPut_everyPutSucceedsWithFullRedundancyOrFailsLeavingNothing() throws Exception {
        ProcessMesh mesh = cleanup.add(ProcessMesh.startOnHosts(dir.resolve("mesh"), NODES));
        List<Contact> contacts = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
            var n = mesh.node(i);
            contacts.add(new Contact(NodeId.fromHex(n.nodeId()), n.host(), n.port()));
        }
        Random random = new Random(20261202);
        Map<Step, int[]> outcomes = new EnumMap<>(Step.class);
        for (Step s : Step.values()) {
            outcomes.put(s, new int[2]);
        }
        List<Long> putMillis = new ArrayList<>();
        int worstRedundancy = M;
        try (PeerChannels channels = new PeerChannels(Tls.CLIENT.channels())) {
            GrpcMesh real = new GrpcMesh(NodeKey.generate(), () -> contacts, channels, NO_DIRECTORY, ContactListener.NONE,
                    Clock.systemUTC());
            for (int round = 1; round <= ROUNDS; round++) {
                Step step = Step.values()[round % Step.values().length];
                // The reader and the node the checks ask: never the one killed.
                int gateway = random.nextInt(NODES);
                KillingMesh killing = new KillingMesh(real, step, random, id -> {
                    int i = mesh.indexOf(id.hex());
                    return i == gateway ? -1 : i;
                }, mesh);
                byte[] data = new byte[2 * K * SHARD + random.nextInt(3 * K * SHARD)];
                random.nextBytes(data);
                Map<Integer, Long> storedBefore = storedBytes(mesh);

                long t0 = System.nanoTime();
                FilePut.Result r = null;
                Throwable failure = null;
                try {
                    r = new FilePut(killing, TransferConfig.defaults(), Schedulers.parallel())
                            .put(new FilePut.Options("round-" + round, K, M, SHARD, false), Flux.just(ByteBuffer.wrap(data)))
                            .block(PUT_DEADLINE);
                } catch (MeshException e) {
                    failure = e;
                }
                putMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                int victim = killing.killed.get();
                assertThat(victim).as("round %d (%s): a holder was killed", round, step).isNotNegative();

                Set<Integer> down = new HashSet<>(Set.of(victim));
                if (r != null) {
                    outcomes.get(step)[0]++;
                    worstRedundancy = Math.min(worstRedundancy, r.lossesSurvived());
                    assertFullRedundancy(round, step, r, contacts.get(victim).id().hex());
                    // The promise: m more holders can go and the file still reads back.
                    FilesStatResponse stat = FileCalls.stat(mesh.node(gateway).channel(), r.fileId().hex());
                    if (stat.getStripesList().stream().anyMatch(s -> s.getLiveShards() != K + M)) {
                        FilesStatResponse again = FileCalls.stat(mesh.node(gateway).channel(), r.fileId().hex());
                        fail("round %d (%s), gateway %d: stat shows shards not live:%n%s%ngateway's probe log:%n%s%n"
                                        + "a second stat: live shards per stripe %s", round, step, gateway,
                                notLive(stat, r, mesh), probeLog(mesh, gateway),
                                again.getStripesList().stream().map(s -> s.getLiveShards()).toList());
                    }
                    List<Integer> holders = r.holders().stream().flatMap(List::stream)
                            .map(c -> mesh.indexOf(c.id().hex())).distinct().filter(i -> i != gateway).toList();
                    List<Integer> more = new ArrayList<>(holders);
                    Collections.shuffle(more, random);
                    for (int i : more.subList(0, M)) {
                        mesh.kill(i);
                        down.add(i);
                    }
                    FileCalls.Read read = FileCalls.get(mesh.node(gateway).channel(), r.fileId().hex());
                    assertThat(read.error()).as("round %d: read with %d holders more down", round, M).isNull();
                    assertThat(read.bytes()).as("round %d: bytes read back", round).isEqualTo(data);
                } else {
                    outcomes.get(step)[1]++;
                    assertNothingLeft(round, step, failure, killing.fileId.get(), mesh, gateway, storedBefore, victim);
                }
                restart(mesh, down);
            }
        }
        int successes = outcomes.values().stream().mapToInt(o -> o[0]).sum();
        int failures = outcomes.values().stream().mapToInt(o -> o[1]).sum();
        List<Long> sorted = putMillis.stream().sorted().toList();
        System.out.printf("DURABLE %d puts of 0.5-1.25 MiB (4+2, 64 KiB shards) on %d node processes, a holder killed -9 in each:"
                        + " %d succeeded, every one surviving %d losses (read back with %d more holders down);"
                        + " %d failed cleanly; put p50 %d ms, max %d ms%n",
                ROUNDS, NODES, successes, worstRedundancy, M, failures, sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1));
        outcomes.forEach((s, o) -> System.out.printf("DURABLE   killed at %-8s %2d succeeded, %2d failed cleanly%n", s, o[0], o[1]));
        // Seven nodes stay up in every round, enough for 4 + 2 distinct holders: nothing should fail.
        assertThat(failures).as("puts that failed although 7 live nodes could take them").isZero();
    }

    private static void assertFullRedundancy(int round, Step step, FilePut.Result r, String victim) {
        assertThat(r.lossesSurvived()).as("round %d (%s): losses survived", round, step).isEqualTo(M);
        for (List<Contact> stripe : r.holders()) {
            assertThat(stripe.stream().map(Contact::address).distinct()).as("round %d: distinct holder addresses", round)
                    .hasSize(K + M);
            assertThat(stripe).as("round %d: the killed node holds none of it", round)
                    .noneMatch(c -> c.id().hex().equals(victim));
        }
        assertThat(r.manifestHolders()).as("round %d: manifest replicas", round).hasSize(3)
                .noneMatch(c -> c.id().hex().equals(victim));
    }

    private static void assertNothingLeft(int round, Step step, Throwable failure, ContentId fileId, ProcessMesh mesh,
                                          int gateway, Map<Integer, Long> storedBefore, int victim) {
        System.out.printf("DURABLE round %d (%s) failed: %s%n", round, step, failure.getMessage());
        if (fileId != null) {
            try {
                FileCalls.stat(mesh.node(gateway).channel(), fileId.hex());
                fail("round %d: the failed put's file %s can still be found", round, fileId);
            } catch (StatusRuntimeException e) {
                assertThat(e.getStatus().getCode()).isIn(Status.Code.NOT_FOUND, Status.Code.UNAVAILABLE);
            }
            for (var n : mesh.nodes()) {
                var files = FilesGrpc.newBlockingStub(n.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .list(FilesListRequest.newBuilder().setPageSize(1000).build()).getFilesList();
                assertThat(files).as("round %d: listed at %s", round, n.address()).noneMatch(f -> f.getFileId().equals(fileId.hex()));
            }
        }
        Map<Integer, Long> after = storedBytes(mesh);
        after.forEach((i, bytes) -> {
            if (i != victim) {
                assertThat(bytes).as("round %d: bytes stored on node %d after the failed put", round, i)
                        .isEqualTo(storedBefore.get(i));
            }
        });
    }

    private static Map<Integer, Long> storedBytes(ProcessMesh mesh) {
        Map<Integer, Long> out = new HashMap<>();
        for (int i = 0; i < mesh.size(); i++) {
            if (mesh.isRunning(i)) {
                out.put(i, mesh.status(i).getStoredBytes());
            }
        }
        return out;
    }

    /** For each shard stat shows without a live holder: who announced it, where the put placed it, and that node's story. */
    private static String notLive(FilesStatResponse stat, FilePut.Result r, ProcessMesh mesh) throws IOException {
        StringBuilder out = new StringBuilder();
        for (var stripe : stat.getStripesList()) {
            for (var shard : stripe.getShardsList()) {
                if (shard.getLiveHoldersCount() > 0) {
                    continue;
                }
                Contact placed = r.holders().get(stripe.getIndex()).get(shard.getIndex());
                int i = mesh.indexOf(placed.id().hex());
                out.append(String.format("stripe %d shard %d: announced by %s; placed on %s (node %d, running %s, holds it now %s)%n",
                        stripe.getIndex(), shard.getIndex(),
                        shard.getHoldersList().stream().map(h -> h.getNodeId().substring(0, 12) + "@" + h.getHost() + ":" + h.getPort()).toList(),
                        placed, i, i >= 0 && mesh.isRunning(i), i >= 0 && mesh.isRunning(i) && mesh.holds(i, shard.getChunkId())));
                if (i >= 0) {
                    mesh.node(i).stderr().lines().filter(l -> l.contains("abort") || l.contains("garbage")
                            || l.contains("quarantin") || l.contains("listening")).forEach(l -> out.append("    ").append(l).append('\n'));
                }
            }
        }
        return out.toString();
    }

    /** What the gateway logged about holders that did not answer its HasChunks probes, or answered without shards they announced. */
    private static String probeLog(ProcessMesh mesh, int gateway) throws IOException {
        return mesh.node(gateway).stderr().lines().filter(l -> l.contains("probe") || l.contains("announced")).collect(Collectors.joining("\n"));
    }

    private static void restart(ProcessMesh mesh, Set<Integer> down) throws Exception {
        List<Thread> starts = new ArrayList<>();
        AtomicReference<Exception> failed = new AtomicReference<>();
        for (int i : down) {
            Thread t = new Thread(() -> {
                try {
                    mesh.restart(i);
                } catch (Exception e) {
                    failed.set(e);
                }
            });
            t.start();
            starts.add(t);
        }
        for (Thread t : starts) {
            t.join();
        }
        if (failed.get() != null) {
            throw failed.get();
        }
    }

    /** The put needs no DHT of its own: the nodes announce what they pin. */
    private static final FileDirectory NO_DIRECTORY = new FileDirectory() {
        @Override
        public Mono<List<DhtRecord>> records(ContentId fileId) {
            return Mono.error(new UnsupportedOperationException("the test reads through a node"));
        }

        @Override
        public Mono<Integer> publish(ContentId key, DhtRecord.Payload payload) {
            return Mono.error(new UnsupportedOperationException("the test publishes nothing"));
        }
    };

    /** The real mesh, killing the node a call goes to at the chosen step, once. */
    private static final class KillingMesh implements Mesh {
        private final Mesh real;
        private final Step step;
        private final ToIntFunction<NodeId> indexOf;
        private final ProcessMesh processes;
        private final int killAtUpload;
        private final int killAtPin;
        private final AtomicInteger uploads = new AtomicInteger();
        private final AtomicInteger pins = new AtomicInteger();
        final AtomicInteger killed = new AtomicInteger(-1);
        final AtomicReference<ContentId> fileId = new AtomicReference<>();

        KillingMesh(Mesh real, Step step, Random random, ToIntFunction<NodeId> indexOf, ProcessMesh processes) {
            this.real = real;
            this.step = step;
            this.indexOf = indexOf;
            this.processes = processes;
            // Counted over calls to nodes that may die (not the gateway), so the chosen call always
            // comes: a put of two or more stripes makes at least 2 (k + m) uploads to distinct hosts
            // per stripe, and pins at least k + m distinct holders, one of which may be the gateway.
            this.killAtUpload = 1 + random.nextInt(2 * (K + M - 1));
            this.killAtPin = 1 + random.nextInt(K + M - 1);
        }

        private boolean killable(Contact c) {
            return indexOf.applyAsInt(c.id()) >= 0;
        }

        private synchronized void kill(Contact c) {
            int i = indexOf.applyAsInt(c.id());
            if (i < 0 || killed.get() >= 0) {
                return;
            }
            try {
                processes.kill(i);
                killed.set(i);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public Mono<Void> putChunk(Contact to, ContentId id, byte[] bytes, String session) {
            return Mono.defer(() -> {
                boolean manifest = isManifest(id, bytes);
                if (!manifest && step == Step.UPLOAD && killable(to) && uploads.incrementAndGet() >= killAtUpload) {
                    kill(to);
                }
                if (manifest && step == Step.MANIFEST) {
                    kill(to);
                }
                return real.putChunk(to, id, bytes, session);
            });
        }

        private static boolean isManifest(ContentId id, byte[] bytes) {
            try {
                ManifestCodec.parse(id, bytes);
                return true;
            } catch (MeshException e) {
                return false;
            }
        }

        @Override
        public Mono<List<ContentId>> pin(Contact holder, ContentId file, List<ContentId> chunks) {
            return Mono.defer(() -> {
                fileId.set(file);
                if (step == Step.PIN && killable(holder) && pins.incrementAndGet() >= killAtPin) {
                    kill(holder);
                }
                return real.pin(holder, file, chunks);
            });
        }

        @Override
        public Mono<List<ContentId>> repairPin(Contact holder, ContentId file, List<ContentId> chunks) {
            return real.repairPin(holder, file, chunks);
        }

        @Override
        public NodeKey owner() {
            return real.owner();
        }

        @Override
        public List<Contact> candidates() {
            return real.candidates();
        }

        @Override
        public Mono<List<Contact>> probe(List<Contact> nodes) {
            return real.probe(nodes);
        }

        @Override
        public Mono<Void> abortUpload(Contact at, String session) {
            return real.abortUpload(at, session);
        }

        @Override
        public Mono<byte[]> getChunk(Contact from, ContentId id) {
            return real.getChunk(from, id);
        }

        @Override
        public Mono<List<ContentId>> has(Contact holder, List<ContentId> chunks) {
            return real.has(holder, chunks);
        }

        @Override
        public Mono<Integer> unpin(Contact holder, ContentId file) {
            return real.unpin(holder, file);
        }

        @Override
        public Mono<List<DhtRecord>> records(ContentId file) {
            return real.records(file);
        }

        @Override
        public Mono<Integer> publish(ContentId key, DhtRecord.Payload payload) {
            return real.publish(key, payload);
        }

        @Override
        public Clock clock() {
            return real.clock();
        }
    }
}
