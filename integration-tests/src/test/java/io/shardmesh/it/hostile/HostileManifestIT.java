package io.shardmesh.it.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.shardmesh.it.harness.FileCalls;
import io.shardmesh.it.harness.Liar;
import io.shardmesh.it.harness.LoopbackMesh;
import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.Chunks;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Holders that serve a tampered manifest: bytes that do not hash to the file id, or a validly
 * hashed manifest of other content. A reader uses only a manifest that hashes to the id it
 * asked for: it goes on to an honest holder if there is one, and otherwise fails with
 * UNAVAILABLE naming the manifest, having sent no byte of anything.
 */
class HostileManifestIT {

    @TempDir
    Path dir;

    @Test
    void get_tamperedManifests_areRoutedAround_andWithNoHonestHolderFailWithoutBytes() throws Exception {
        try (LoopbackMesh mesh = LoopbackMesh.start(dir, 6)) {
            byte[] data = Chunks.random(LoopbackMesh.STRIPE + 7, 3);
            byte[] other = Chunks.random(LoopbackMesh.STRIPE + 7, 4);
            String fileId = mesh.put(mesh.node(0), data, "real.bin").getFileId();
            String otherId = mesh.put(mesh.node(0), other, "decoy.bin").getFileId();
            byte[] decoyManifest = mesh.chunk(mesh.holdersOf(otherId).get(0), otherId);
            List<ShardmeshNode> holders = mesh.holdersOf(fileId);
            assertThat(holders).hasSize(3);
            // Readers that never read the file (a verified manifest is cached by id).
            List<ShardmeshNode> readers = mesh.nodes().stream().filter(n -> n != mesh.node(0)).toList();

            // Two holders serve the decoy's manifest; the honest one is slow, so the liars are asked too.
            mesh.liar(holders.get(0)).lieAbout(fileId, Liar.serve(decoyManifest));
            mesh.liar(holders.get(1)).lieAbout(fileId, Liar.serve(decoyManifest));
            mesh.liar(holders.get(2)).lieAbout(fileId, new Liar.Trickle(Duration.ofMillis(5)));
            FileCalls.Read routed = mesh.get(readers.get(0), fileId);
            assertThat(routed.error()).isNull();
            assertThat(routed.bytes()).isEqualTo(data);
            assertThat(mesh.liar(holders.get(0)).liesTold() + mesh.liar(holders.get(1)).liesTold())
                    .as("a lying holder was asked").isPositive();

            // Every holder serves the decoy's manifest: nothing of either file comes out.
            mesh.liar(holders.get(2)).lieAbout(fileId, Liar.serve(decoyManifest));
            assertFailsWithoutBytes(mesh.get(readers.get(1), fileId));

            // Every holder serves the manifest with one bit flipped.
            for (ShardmeshNode h : holders) {
                mesh.liar(h).lieAbout(fileId, Liar.flipFirstByte());
            }
            assertFailsWithoutBytes(mesh.get(readers.get(2), fileId));

            // Unharmed: honest again, a reader that saw the lies reads the file.
            holders.forEach(h -> mesh.liar(h).honest());
            assertThat(mesh.get(readers.get(1), fileId).bytes()).isEqualTo(data);
        }
    }

    private static void assertFailsWithoutBytes(FileCalls.Read read) {
        assertThat(read.bytes()).isEmpty();
        assertThat(read.error()).isNotNull();
        assertThat(read.error().getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(read.error().getStatus().getDescription()).contains("manifest");
    }
}
