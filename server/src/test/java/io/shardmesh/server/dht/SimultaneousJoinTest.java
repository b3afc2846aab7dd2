package io.shardmesh.server.dht;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.Await;
import io.shardmesh.server.testing.InProcessMesh;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * Two nodes join through the same seed at the same moment. The seed adds each only after
 * pinging it back (slow here), so it knows neither when it answers their joins; they must still
 * find each other within seconds, not at the next gossip round minutes later.
 */
class SimultaneousJoinTest {

    /** How much (virtual) time the newcomers get to find each other. */
    private static final Duration WITHIN = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    @Test
    void nodesJoiningThroughOneSeedAtOnce_findEachOtherWithinSeconds() {
        // The nodes' timers run on virtual time, so the test decides when the settle lookups
        // (2 s and 10 s after a join) may run and proves that gossip (every 5 min) never did;
        // the calls themselves are real.
        VirtualTimeScheduler timers = VirtualTimeScheduler.create();
        timers.advanceTimeTo(Instant.now());
        try (InProcessMesh mesh = new InProcessMesh(dir)) {
            ShardmeshNode seed = mesh.start(dir.resolve("seed"), 30000, DhtConfig.defaults(), x -> x.timerScheduler(timers));
            DhtConfig viaSeed = DhtConfig.defaults().withBootstrap(List.of(InProcessMesh.address(seed)));
            // The seed adds a caller only once it answers a ping: held, it knows neither newcomer
            // while they join, so their joins cannot find each other.
            Runnable releaseA = mesh.holdPings("127.0.0.1:30001");
            Runnable releaseB = mesh.holdPings("127.0.0.1:30002");
            long beforeJoins = System.currentTimeMillis();
            ShardmeshNode a = mesh.start(dir.resolve("a"), 30001, viaSeed, x -> x.timerScheduler(timers));
            ShardmeshNode b = mesh.start(dir.resolve("b"), 30002, viaSeed, x -> x.timerScheduler(timers));
            // A join ends by refreshing every bucket from its nearest contact outwards.
            Await.until("both newcomers to have joined through the seed", Duration.ofSeconds(60),
                    () -> a.kademlia().table().entry(seed.id()).isPresent() && a.kademlia().table().staleBuckets(beforeJoins).isEmpty()
                            && b.kademlia().table().entry(seed.id()).isPresent() && b.kademlia().table().staleBuckets(beforeJoins).isEmpty());
            assertThat(a.kademlia().table().size()).as("a's table after its join").isEqualTo(1);
            assertThat(b.kademlia().table().size()).as("b's table after its join").isEqualTo(1);

            releaseA.run();
            releaseB.run();
            Await.until("the seed to know both", Duration.ofSeconds(30), () -> seed.kademlia().table().size() == 2);
            // Virtual time moves a second per look, up to WITHIN: far short of the first gossip round.
            assertThat(WITHIN).isLessThan(DhtConfig.DEFAULT_GOSSIP_INTERVAL);
            long[] advanced = {0};
            Await.until("both newcomers to know each other", Duration.ofSeconds(60), () -> {
                if (a.kademlia().table().size() == 2 && b.kademlia().table().size() == 2) {
                    return true;
                }
                if (advanced[0] < WITHIN.toSeconds()) {
                    timers.advanceTimeBy(Duration.ofSeconds(1));
                    advanced[0]++;
                }
                return false;
            });
        }
    }
}
