package io.shardmesh.server.repair;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.transfer.FileHealth;
import io.shardmesh.common.transfer.FilePut;
import io.shardmesh.server.node.ShardmeshNode;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/**
 * Redundancy counts hosts, not shard ids: shards that share a host, or identical shards that
 * share one chunk id, count once per host, so repair spreads them until every stripe again
 * survives any m host losses.
 */
class SpreadRepairTest {

    static final RepairConfig CONFIG = RepairConfig.defaults().withTiming(Duration.ofMinutes(10), Duration.ofMinutes(10))
            .withLimits(2, 0).withScrub(0, Duration.ofHours(1));

    @TempDir
    Path dir;

    @Test
    void allZeroFile_whoseShardsAreOneChunk_isRebuiltOntoANewHost_whenAHolderLeaves() {
        try (RepairMesh m = new RepairMesh(dir, 8, CONFIG)) {
            // Every shard of every stripe of an all-zero file (parity too) is the same chunk.
            RepairMesh.Stored file = m.put(m.live.get(0), "zeros", new byte[3 * RepairMesh.K * RepairMesh.SHARD]);
            var resolved = m.observer().files().resolve(file.id(), Optional.empty()).block(RepairMesh.WAIT);
            assertThat(resolved.manifest().stripes().stream().flatMap(List::stream).distinct()).hasSize(1);
            assertThat(m.fullyRedundant(List.of(file))).as("six hosts hold the one chunk after the put").isTrue();

            Set<NodeId> holders = RepairMesh.holders(m.health(m.observer(), file.id()));
            ShardmeshNode gone = m.byId(holders).stream().filter(n -> n != m.observer()).findFirst().orElseThrow();
            m.kill(gone);
            FileHealth.Stripe after = m.health(m.observer(), file.id()).get(0);
            // Each of the six shards still has five live holders: counted by id nothing is missing, and
            // the stripe reads while any holder is left; counted by host, one shard has none of its own.
            assertThat(after.availableShards()).isEqualTo(6);
            assertThat(after.liveShards()).isEqualTo(5);
            assertThat(after.lossesSurvivable()).isEqualTo(2);

            int rounds = m.settle(4, () -> m.fullyRedundant(List.of(file)));
            System.out.printf("REPAIR all-zero file back on six hosts within %d repair interval(s)%n", rounds);
            assertThat(m.read(m.observer(), file.id())).isEqualTo(file.data());
        }
    }

    @Test
    void degradedPutOnFiveHosts_isSpreadOntoASixth_thenSurvivesTwoLosses() {
        try (RepairMesh m = new RepairMesh(dir, 5, CONFIG)) {
            byte[] data = io.shardmesh.server.testing.Chunks.random(2 * RepairMesh.K * RepairMesh.SHARD, 5);
            FilePut.Result put = m.live.get(0).files()
                    .put(new FilePut.Options("crowded", RepairMesh.K, RepairMesh.M, RepairMesh.SHARD, false, true),
                            Flux.just(ByteBuffer.wrap(data)))
                    .block(RepairMesh.WAIT);
            assertThat(put.warnings()).isNotEmpty();
            assertThat(put.lossesSurvived()).isEqualTo(1);
            RepairMesh.Stored file = new RepairMesh.Stored(put.fileId(), data);
            FileHealth.Stripe crowded = m.health(m.observer(), file.id()).get(0);
            assertThat(crowded.availableShards()).isEqualTo(6);
            assertThat(crowded.liveShards()).isEqualTo(5);

            ShardmeshNode sixth = m.join();
            int rounds = m.settle(4, () -> m.fullyRedundant(List.of(file)));
            System.out.printf("REPAIR degraded put spread onto a sixth host within %d repair interval(s)%n", rounds);
            List<FileHealth.Stripe> stripes = m.health(m.observer(), file.id());
            assertThat(RepairMesh.holders(stripes)).contains(sixth.id());

            // The promise: any two hosts may go now. Take the two that held the most shards.
            List<NodeId> busiest = stripes.stream().flatMap(s -> s.liveHolders().stream())
                    .flatMap(l -> l.stream().map(Contact::id).distinct())
                    .collect(Collectors.groupingBy(id -> id, Collectors.counting())).entrySet().stream()
                    .filter(e -> !e.getKey().equals(m.observer().id()))
                    .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                    .limit(2).map(java.util.Map.Entry::getKey).toList();
            m.byId(new HashSet<>(busiest)).forEach(m::kill);
            assertThat(m.read(m.observer(), file.id())).isEqualTo(data);
        }
    }
}
