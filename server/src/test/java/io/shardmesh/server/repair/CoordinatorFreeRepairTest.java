package io.shardmesh.server.repair;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.repair.RepairRule;
import io.shardmesh.common.transfer.FileHealth;
import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.Await;
import io.shardmesh.server.testing.Chunks;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No node is in charge: the holder that the rule picks to repair a stripe is killed while its
 * repair runs (held at the repair traffic bound, which waits on the virtual clock), and the
 * stripe, now down to k shards, is repaired by another holder all the same.
 */
class CoordinatorFreeRepairTest {

    @TempDir
    Path dir;

    @Test
    void chosenRepairerKilledMidRepair_anotherHolderFinishes() {
        // 1 KB/s: the chosen repairer's first 4 KiB fetch waits seconds of virtual time, so it is
        // caught mid-repair for as long as the test keeps the clock still.
        RepairConfig config = RepairConfig.defaults().withTiming(Duration.ofMinutes(10), Duration.ofMinutes(10))
                .withLimits(2, 1_000).withScrub(0, Duration.ofHours(1));
        try (RepairMesh m = new RepairMesh(dir, 8, config)) {
            RepairMesh.Stored file = m.put(m.live.get(0), "one-stripe", Chunks.random(4 * RepairMesh.SHARD, 3));
            List<RepairMesh.Stored> files = List.of(file);
            List<FileHealth.Stripe> before = m.health(m.observer(), file.id());
            var firstShard = m.observer().files().resolve(file.id(), java.util.Optional.empty()).block(RepairMesh.WAIT)
                    .manifest().stripes().get(0).get(0);

            // Ask through a node that holds nothing of the stripe: every holder may then be killed.
            Set<io.shardmesh.common.id.NodeId> holders = RepairMesh.holders(before);
            m.observer = m.live.stream().filter(n -> !holders.contains(n.id())).findFirst().orElseThrow();
            // The holder last in the repair order goes; once the stripe has been short for the
            // repair delay, the first in the order repairs it.
            List<Contact> order = RepairRule.order(firstShard, before.get(0).liveHolders());
            m.kill(m.byId(Set.of(order.get(order.size() - 1).id())).get(0));
            ShardmeshNode chosen = m.byId(Set.of(order.get(0).id())).get(0);
            m.round();
            assertThat(chosen.repair().status().running()).as("repairs before the delay").isZero();
            m.advance(config.interval().plus(config.interval().dividedBy(10)));
            Await.until("the chosen repairer has started", RepairMesh.WAIT,
                    () -> chosen.repair().status().running() > 0);
            m.kill(chosen);

            int rounds = m.settle(4, () -> m.fullyRedundant(files));
            long doneElsewhere = m.live.stream().mapToLong(n -> n.repair().status().done()).sum();
            System.out.printf("REPAIR chosen repairer killed mid-repair: another holder finished after %d more"
                    + " interval(s) (%d stripe repair(s) by others)%n", rounds, doneElsewhere);
            assertThat(doneElsewhere).as("repairs finished by the other holders").isPositive();
            assertThat(m.read(m.observer(), file.id())).isEqualTo(file.data());
        }
    }
}
