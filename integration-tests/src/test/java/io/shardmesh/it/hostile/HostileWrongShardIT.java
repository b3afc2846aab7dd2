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
 * A holder that answers with a valid chunk, only not the one asked for: another shard of the
 * same stripe (same length, intact under its own id), or the file's manifest. Neither is ever
 * taken for the shard that was asked for; the file still reads back bit for bit.
 */
class HostileWrongShardIT {

    @TempDir
    Path dir;

    @Test
    void get_holderServingAnotherValidChunk_isNeverAccepted() throws Exception {
        try (LoopbackMesh mesh = LoopbackMesh.start(dir, 6)) {
            byte[] data = Chunks.random(2 * LoopbackMesh.STRIPE, 2);
            String fileId = mesh.put(mesh.node(0), data, "swapped.bin").getFileId();
            FilesStatResponse stat = mesh.stat(mesh.node(0), fileId);
            ShardmeshNode liar = mesh.holderOf(stat, 0, 0);
            // Stripe 0: the bytes of data shard 1 when asked for data shard 0 (same length, both intact).
            String asked0 = stat.getStripes(0).getShards(0).getChunkId();
            mesh.liar(liar).lieAbout(asked0, Liar.serve(bytesOf(mesh, stat.getStripes(0).getShards(1))));
            // Stripe 1: whatever shard the liar holds there is answered with the manifest blob.
            byte[] manifest = mesh.chunk(mesh.holdersOf(fileId).get(0), fileId);
            for (var shard : stat.getStripes(1).getShardsList()) {
                if (shard.getHolders(0).getNodeId().equals(liar.id().hex())) {
                    mesh.liar(liar).lieAbout(shard.getChunkId(), Liar.serve(manifest));
                }
            }
            ShardmeshNode reader = mesh.anyBut(List.of(liar, mesh.node(0)));

            FileCalls.Read read = mesh.get(reader, fileId);

            assertThat(read.error()).isNull();
            assertThat(read.bytes()).isEqualTo(data);
            assertThat(mesh.liar(liar).liesTold()).as("the liar was asked").isPositive();
            assertThat(reader.files().markedHolders()).containsExactly(liar.id());
        }
    }

    private static byte[] bytesOf(LoopbackMesh mesh, io.shardmesh.proto.v1.ShardShares shard) {
        return mesh.chunk(mesh.byId(shard.getHolders(0).getNodeId()), shard.getChunkId());
    }
}
