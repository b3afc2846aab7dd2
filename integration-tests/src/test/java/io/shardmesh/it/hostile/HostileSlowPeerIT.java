package io.shardmesh.it.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.it.harness.FileCalls;
import io.shardmesh.it.harness.Liar;
import io.shardmesh.it.harness.LoopbackMesh;
import io.shardmesh.proto.v1.StatResponse;
import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.Chunks;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One holder accepts GetChunk and never answers; another sends its shard a byte a second.
 * The reader's hedging asks parity holders instead of waiting: the read completes within the
 * test's deadline, which is shorter than a single shard fetch's own deadline (35 s), so a
 * reader that waited for either slow holder would fail here.
 */
class HostileSlowPeerIT {

    @TempDir
    Path dir;

    @Test
    void get_silentAndTricklingHolders_areHedgedAround() throws Exception {
        try (LoopbackMesh mesh = LoopbackMesh.start(dir, 6)) {
            byte[] data = Chunks.random(2 * LoopbackMesh.STRIPE + 1, 7);
            String fileId = mesh.put(mesh.node(0), data, "slow.bin").getFileId();
            StatResponse stat = mesh.stat(mesh.node(0), fileId);
            ShardmeshNode silent = mesh.holderOf(stat, 0, 0);
            ShardmeshNode trickler = mesh.holderOf(stat, 0, 1);
            mesh.lieAboutShardsHeldBy(silent, stat, new Liar.Stall());
            mesh.lieAboutShardsHeldBy(trickler, stat, new Liar.Trickle(Duration.ofSeconds(1)));
            ShardmeshNode reader = mesh.anyBut(List.of(silent, trickler));

            FileCalls.Read read = mesh.get(reader, fileId);

            assertThat(read.error()).as("the read ended within %s", LoopbackMesh.CALL_DEADLINE).isNull();
            assertThat(read.bytes()).isEqualTo(data);
            assertThat(mesh.liar(silent).liesTold()).as("the silent holder was asked").isPositive();
            assertThat(mesh.liar(trickler).liesTold()).as("the trickling holder was asked").isPositive();
        }
    }
}
