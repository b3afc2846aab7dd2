package io.shardmesh.server.repair;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.shardmesh.proto.v1.DrainRequest;
import io.shardmesh.proto.v1.DrainResponse;
import io.shardmesh.proto.v1.NodeGrpc;
import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.Chunks;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Leaving on purpose: a drained node hands every chunk on, then stops; nothing needs repair afterwards. */
class DrainTest {

    @TempDir
    Path dir;

    @Test
    void nodeDrainsOverGrpcAndStops_everyFileKeepsFullRedundancy() throws Exception {
        RepairConfig config = RepairConfig.defaults().withLimits(2, 0).withScrub(0, Duration.ofHours(1));
        try (RepairMesh m = new RepairMesh(dir, 8, config)) {
            List<RepairMesh.Stored> files = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                files.add(m.put(m.live.get(i), "d" + i, Chunks.random((i + 1) * 3 * RepairMesh.SHARD + i, 20 + i)));
            }
            ShardmeshNode leaving = m.live.stream().filter(n -> n != m.observer())
                    .max(java.util.Comparator.comparingLong(n -> n.status().block(RepairMesh.WAIT).storedChunks()))
                    .orElseThrow();
            long held = leaving.status().block(RepairMesh.WAIT).storedChunks();
            List<DrainResponse> progress = new ArrayList<>();
            ManagedChannel ch = m.mesh.clientChannel(leaving);
            try {
                NodeGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS)
                        .drain(DrainRequest.newBuilder().setStop(true).build()).forEachRemaining(progress::add);
            } finally {
                ch.shutdownNow();
            }
            DrainResponse last = progress.get(progress.size() - 1);
            assertThat(last.getDone()).isTrue();
            assertThat(last.getChunksMoved()).isEqualTo(last.getChunksTotal()).isEqualTo(held).isPositive();
            assertThat(last.getFilesDone()).isEqualTo(last.getFilesTotal());
            assertThat(progress).extracting(DrainResponse::getChunksMoved).isSorted();
            // It stops by itself once the drain is answered.
            CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> {
                try {
                    leaving.awaitTermination();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            stopped.get(30, TimeUnit.SECONDS);
            m.kill(leaving);

            // No repair round: the files are whole the moment the node is gone.
            assertThat(m.fullyRedundant(files)).as("every file at full redundancy right after the drain").isTrue();
            for (RepairMesh.Stored f : files) {
                assertThat(m.read(m.observer(), f.id())).isEqualTo(f.data());
            }
            System.out.printf("REPAIR drain moved %d chunk(s) (%d B) of %d file(s), then the node stopped%n",
                    last.getChunksMoved(), last.getBytesMoved(), last.getFilesTotal());
        }
    }
}
