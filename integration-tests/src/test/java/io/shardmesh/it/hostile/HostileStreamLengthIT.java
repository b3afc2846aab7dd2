package io.shardmesh.it.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.it.harness.FileCalls;
import io.shardmesh.it.harness.Liar;
import io.shardmesh.it.harness.LoopbackMesh;
import io.shardmesh.proto.v1.FilesStatResponse;
import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.Chunks;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GetChunk streams whose length is a lie: one holder ends its stream OK after half the shard,
 * another keeps sending past the size it declared. The reader cuts both off and rebuilds each
 * stripe from the other holders; the file reads back bit for bit.
 */
class HostileStreamLengthIT {

    @TempDir
    Path dir;

    @Test
    void get_truncatedAndOverlongShardStreams_areCutOffAndRoutedAround() throws Exception {
        try (LoopbackMesh mesh = LoopbackMesh.start(dir, 6)) {
            byte[] data = Chunks.random(2 * LoopbackMesh.STRIPE - 5, 5);
            String fileId = mesh.put(mesh.node(0), data, "lengths.bin").getFileId();
            FilesStatResponse stat = mesh.stat(mesh.node(0), fileId);
            // Two of a stripe's four data shards are lied about: both parity shards are needed.
            ShardmeshNode shortener = mesh.holderOf(stat, 0, 0);
            ShardmeshNode overrunner = mesh.holderOf(stat, 0, 1);
            mesh.lieAboutShardsHeldBy(shortener, stat, Liar.truncate());
            mesh.lieAboutShardsHeldBy(overrunner, stat, Liar.overrun(64 * 1024));
            ShardmeshNode reader = mesh.anyBut(List.of(shortener, overrunner));

            FileCalls.Read read = mesh.get(reader, fileId);

            assertThat(read.error()).isNull();
            assertThat(read.bytes()).isEqualTo(data);
            assertThat(mesh.liar(shortener).liesTold()).as("the truncating holder was asked").isPositive();
            assertThat(mesh.liar(overrunner).liesTold()).as("the overrunning holder was asked").isPositive();
        }
    }
}
