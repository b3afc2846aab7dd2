package io.shardmesh.server.repair;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.transfer.FileHealth;
import io.shardmesh.server.testing.Chunks;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Redundancy that does not decay: 12 in-process nodes on one virtual clock hold 40 files (4 + 2,
 * one to three stripes each). Nodes are killed, one or two at a time, each time after the
 * previous repairs settled, until only k + m are left. After every kill no stripe is below k,
 * and after the repair rounds every stripe is back on k + m distinct live nodes and every
 * manifest on three; at the end every file reads back bit for bit.
 */
class SelfHealingMeshTest {

    static final int NODES = 12;
    static final int FILES = 40;
    /** Rounds of one repair interval allowed per removal: the manifest's copies wait out the repair delay. */
    static final int MAX_ROUNDS = 5;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} removal(s) at a time")
    @ValueSource(ints = {1, 2})
    void nodesLeaveUntilOnlyKPlusMRemain_everyFileKeepsFullRedundancy(int atOnce) {
        Random random = new Random(12 + atOnce);
        try (RepairMesh m = new RepairMesh(dir, NODES, RepairConfig.defaults()
                .withTiming(Duration.ofMinutes(10), Duration.ofMinutes(10)).withLimits(2, 0).withScrub(0, Duration.ofHours(1)))) {
            List<RepairMesh.Stored> files = new ArrayList<>();
            for (int i = 0; i < FILES; i++) {
                int size = 1 + random.nextInt(3 * RepairMesh.K * RepairMesh.SHARD);
                files.add(m.put(m.live.get(i % NODES), "f" + i, Chunks.random(size, i)));
            }
            int minLive = Integer.MAX_VALUE;
            int removals = 0;
            long stripesRepairedBefore = 0;
            while (m.live.size() - atOnce >= RepairMesh.K + RepairMesh.M) {
                for (int r = 0; r < atOnce; r++) {
                    // Never the observer: the test asks through it.
                    m.kill(m.live.get(1 + random.nextInt(m.live.size() - 1)));
                }
                removals += atOnce;
                for (RepairMesh.Stored f : files) {
                    for (FileHealth.Stripe s : m.health(m.observer(), f.id())) {
                        minLive = Math.min(minLive, s.liveShards());
                    }
                }
                assertThat(minLive).as("fewest live shards of any stripe after %d removal(s)", removals)
                        .isGreaterThanOrEqualTo(RepairMesh.K);
                int rounds = 0;
                while (!fullyRedundant(m, files)) {
                    assertThat(rounds++).as("repair rounds after %d removal(s), %d nodes left", removals, m.live.size())
                            .isLessThan(MAX_ROUNDS);
                    m.round();
                }
                long repaired = m.live.stream().mapToLong(n -> n.repair().status().done()).sum();
                System.out.printf("REPAIR %d node(s) left after %d removal(s): full redundancy after %d round(s)"
                        + " (%d stripe repairs by the live nodes so far)%n", m.live.size(), removals, rounds, repaired);
                stripesRepairedBefore = repaired;
            }
            assertThat(stripesRepairedBefore).as("stripe repairs").isPositive();
            for (RepairMesh.Stored f : files) {
                assertThat(m.read(m.live.get(m.live.size() - 1), f.id())).as("file %s", f.id()).isEqualTo(f.data());
            }
            System.out.printf("REPAIR %d files, %d nodes down to %d, %d at a time: fewest live shards of any stripe"
                    + " after a removal %d (k = %d); every file read back%n", FILES, NODES, m.live.size(), atOnce, minLive,
                    RepairMesh.K);
        }
    }

    private static boolean fullyRedundant(RepairMesh m, List<RepairMesh.Stored> files) {
        return m.fullyRedundant(files);
    }
}
