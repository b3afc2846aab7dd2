package io.shardmesh.server.repair;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.KademliaConfig;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.transfer.FileGet;
import io.shardmesh.common.transfer.FileHealth;
import io.shardmesh.common.transfer.FilePut;
import io.shardmesh.server.dht.DhtConfig;
import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.Await;
import io.shardmesh.server.testing.InProcessMesh;
import io.shardmesh.server.testing.VirtualClock;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import reactor.core.publisher.Flux;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * In-process nodes whose clocks and repair schedules run on one virtual clock, for repair tests:
 * the repair schedule, its delays and back-offs pass when the test advances time by a repair
 * interval, and a round ends when every live node has finished a check after the jump. The short
 * timers of reads and lookups (hedges, RPC timeouts) stay on real time. Killed nodes refuse calls
 * at once.
 */
final class RepairMesh implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(60);
    static final int K = 4;
    static final int M = 2;
    static final int SHARD = 4096;

    final VirtualTimeScheduler vts = VirtualTimeScheduler.create();
    final VirtualClock clock = new VirtualClock(vts);
    final InProcessMesh mesh;
    final List<ShardmeshNode> live = new CopyOnWriteArrayList<>();
    final java.util.Map<ShardmeshNode, Path> dataDirs = new java.util.concurrent.ConcurrentHashMap<>();
    final RepairConfig repair;
    RepairMesh(Path dir, int nodes, RepairConfig repair) {
        this(dir, nodes, repair, b -> b);
    }

    RepairMesh(Path dir, int nodes, RepairConfig repair, UnaryOperator<io.shardmesh.server.node.NodeConfig> configure) {
        vts.advanceTimeTo(Instant.parse("2026-12-01T00:00:00Z"));
        this.repair = repair;
        this.mesh = new InProcessMesh(dir);
        DhtConfig dht = DhtConfig.defaults()
                .withKademlia(KademliaConfig.defaults().withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(10)));
        this.dir = dir;
        this.dht = dht;
        this.configure = configure;
        for (int i = 0; i < nodes; i++) {
            startNode(i);
        }
        // Everyone learns everyone: placement and repair pick from each node's own table.
        for (int round = 0; round < 2; round++) {
            for (ShardmeshNode n : live) {
                if (n != live.get(0)) {
                    n.kademlia().join(List.of(), List.of(InProcessMesh.address(live.get(0)))).block(WAIT);
                }
            }
        }
    }

    private final Path dir;
    private final DhtConfig dht;
    private final UnaryOperator<io.shardmesh.server.node.NodeConfig> configure;
    private int started;

    private ShardmeshNode startNode(int i) {
        ShardmeshNode n = mesh.start(dir.resolve("n" + i), 21_000 + i, dht,
                b -> b.clock(clock).repairScheduler(vts).configure(c -> configure.apply(c.withRepair(repair))));
        live.add(n);
        dataDirs.put(n, dir.resolve("n" + i));
        started = Math.max(started, i + 1);
        return n;
    }

    /** Starts one more node, a new identity on a new address, and has it and every node learn each other. */
    ShardmeshNode join() {
        ShardmeshNode n = startNode(started);
        for (ShardmeshNode other : live) {
            if (other != n) {
                other.kademlia().join(List.of(), List.of(InProcessMesh.address(n))).block(WAIT);
            }
        }
        return n;
    }

    /** A stored file and its bytes. */
    record Stored(ContentId id, byte[] data) {
    }

    Stored put(ShardmeshNode via, String name, byte[] data) {
        FilePut.Result r = via.files().put(new FilePut.Options(name, K, M, SHARD, false), Flux.just(ByteBuffer.wrap(data)))
                .block(WAIT);
        assertThat(r.warnings()).as("warnings of put %s", name).isEmpty();
        return new Stored(r.fileId(), data);
    }

    byte[] read(ShardmeshNode via, ContentId id) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        via.files().read(id, Optional.empty(), 0, 0).doOnNext(b -> {
            byte[] a = new byte[b.remaining()];
            b.get(a);
            out.writeBytes(a);
        }).then().block(WAIT);
        return out.toByteArray();
    }

    /** Live health of every stripe of {@code id}, asked through {@code via}. */
    List<FileHealth.Stripe> health(ShardmeshNode via, ContentId id) {
        FileGet.Resolved r = via.files().resolve(id, Optional.empty()).block(WAIT);
        return via.files().health(r).block(WAIT);
    }

    /** How many live nodes keep the manifest of {@code id} pinned now (and so announce it). */
    long manifestCopies(ContentId id) {
        return live.stream().filter(n -> n.pinnedChunks(id).block(WAIT).contains(id)).count();
    }

    void kill(ShardmeshNode n) {
        live.remove(n);
        mesh.kill(n);
    }

    /** The node the test asks through; by default the first started. */
    volatile ShardmeshNode observer;

    ShardmeshNode observer() {
        return observer == null ? live.get(0) : observer;
    }

    /**
     * Advances the virtual clock by one repair interval and a tenth (past every node's jitter) and
     * waits until every live node has finished a check after it.
     */
    void round() {
        long start = System.nanoTime();
        // A check that fires inside the advance may end while the virtual clock still reads the
        // time it fired at (the scheduler steps through due tasks): compare with what each node
        // had before, not with the time after the jump.
        java.util.Map<ShardmeshNode, Long> before = new java.util.HashMap<>();
        for (ShardmeshNode n : live) {
            before.put(n, n.repair().status().lastCheckUnixMs());
        }
        long now = advance(repair.interval().plus(repair.interval().dividedBy(10)));
        try {
            Await.until("a repair check on every live node", WAIT, () -> live.stream()
                    .allMatch(n -> n.repair().status().lastCheckUnixMs() > before.get(n) && n.repair().status().running() == 0));
        } catch (AssertionError e) {
            for (ShardmeshNode n : live) {
                System.out.printf("node %s: %s (round at %d)%n", n.id(), n.repair().status(), now);
            }
            throw e;
        } finally {
            System.out.printf("round took %d ms%n", (System.nanoTime() - start) / 1_000_000);
        }
    }

    /** Moves virtual time on; returns the new time. */
    synchronized long advance(Duration by) {
        vts.advanceTimeBy(by);
        return clock.millis();
    }

    /**
     * Jumps one repair interval and a tenth, then moves virtual time on in steps of ten seconds
     * (repair traffic bounds wait on it) until {@code done}, at most {@code rounds} jumps.
     *
     * @return the jumps it took
     */
    int settle(int rounds, java.util.function.BooleanSupplier done) {
        for (int r = 1; r <= rounds; r++) {
            advance(repair.interval().plus(repair.interval().dividedBy(10)));
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (System.nanoTime() < until) {
                if (done.getAsBoolean()) {
                    return r;
                }
                advance(Duration.ofSeconds(10));
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted");
                }
            }
        }
        throw new AssertionError("not settled after " + rounds + " repair interval(s)");
    }

    /** Every stripe of {@code files} on k + m distinct live holders (it survives m losses), and every manifest on three. */
    boolean fullyRedundant(List<Stored> files) {
        for (Stored f : files) {
            List<FileHealth.Stripe> stripes = health(observer(), f.id());
            for (int i = 0; i < stripes.size(); i++) {
                FileHealth.Stripe s = stripes.get(i);
                if (s.liveShards() < K + M || s.lossesSurvivable() < M) {
                    System.out.printf("not yet: file %s stripe %d has %d live shard(s), survives %d loss(es)%n",
                            f.id(), i, s.liveShards(), s.lossesSurvivable());
                    return false;
                }
            }
            long copies = manifestCopies(f.id());
            if (copies < 3) {
                System.out.printf("not yet: file %s has %d manifest copies%n", f.id(), copies);
                return false;
            }
        }
        return true;
    }

    /** Nodes whose id is one of {@code ids}. */
    List<ShardmeshNode> byId(Set<NodeId> ids) {
        return live.stream().filter(n -> ids.contains(n.id())).collect(Collectors.toList());
    }

    /** The holders that confirmed each stripe's shards just now. */
    static Set<NodeId> holders(List<FileHealth.Stripe> stripes) {
        return stripes.stream().flatMap(s -> s.liveHolders().stream()).flatMap(List::stream).map(Contact::id)
                .collect(Collectors.toSet());
    }

    @Override
    public void close() {
        mesh.close();
    }
}
