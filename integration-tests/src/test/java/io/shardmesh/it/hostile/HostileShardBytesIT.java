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
 * A holder that answers GetChunk with bytes that do not match the shard id (one bit flipped, on
 * the wire, from a real node): the reader drops them, fetches another shard, returns the file
 * bit for bit, and marks the holder so it is asked last next time.
 */
class HostileShardBytesIT {

    @TempDir
    Path dir;

    @Test
    void get_holderServingBytesThatDoNotMatchTheirId_isRoutedAroundAndMarked() throws Exception {
        try (LoopbackMesh mesh = LoopbackMesh.start(dir, 6)) {
            byte[] data = Chunks.random(2 * LoopbackMesh.STRIPE + 99, 1);
            String fileId = mesh.put(mesh.node(0), data, "flipped.bin").getFileId();
            FilesStatResponse stat = mesh.stat(mesh.node(0), fileId);
            // The holder of data shard 0 of every stripe lies about each of them.
            ShardmeshNode liar = mesh.holderOf(stat, 0, 0);
            mesh.lieAboutShardsHeldBy(liar, stat, Liar.flipFirstByte());
            ShardmeshNode reader = mesh.anyBut(List.of(liar));

            FileCalls.Read read = mesh.get(reader, fileId);

            assertThat(read.error()).isNull();
            assertThat(read.bytes()).isEqualTo(data);
            assertThat(mesh.liar(liar).liesTold()).as("the liar was asked").isPositive();
            assertThat(reader.files().markedHolders()).containsExactly(liar.id());
            // Nothing on the liar itself was harmed: honest again, it serves the file.
            mesh.liar(liar).honest();
            assertThat(mesh.get(liar, fileId).bytes()).isEqualTo(data);
        }
    }
}
