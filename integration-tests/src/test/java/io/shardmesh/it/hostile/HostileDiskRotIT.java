package io.shardmesh.it.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.shardmesh.it.harness.FileCalls;
import io.shardmesh.it.harness.NodeProcess;
import io.shardmesh.it.harness.ProcessMesh;
import io.shardmesh.proto.v1.ChunksGrpc;
import io.shardmesh.proto.v1.FilesStatResponse;
import io.shardmesh.proto.v1.GetChunkRequest;
import io.shardmesh.server.testing.Chunks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bit flipped in a shard on the disk of a real node process: the node never serves it
 * (GetChunk answers DATA_LOSS, and NOT_FOUND afterwards), moves the bad copy to quarantine,
 * stays healthy, and a Files.Get through another node routes around it, bit for bit.
 */
class HostileDiskRotIT {

    static final int SHARD = 4096;

    @TempDir
    Path dir;

    @Test
    void flippedByteOnDisk_isNeverServed_isQuarantined_andReadsRouteAround() throws Exception {
        try (ProcessMesh mesh = ProcessMesh.start(dir, 3)) {
            byte[] data = Chunks.random(2 * 2 * SHARD + 11, 10);
            String fileId = FileCalls.put(mesh.node(0).channel(), data, "rot.bin", 2, 1, SHARD).getFileId();
            FilesStatResponse stat = FileCalls.stat(mesh.node(0).channel(), fileId);
            // Stripe 0's first shard is read straight from its holder; stripe 1's only through a Files.Get.
            String shard = stat.getStripes(0).getShards(0).getChunkId();
            NodeProcess holder = mesh.byId(stat.getStripes(0).getShards(0).getHolders(0).getNodeId());
            Path onDisk = holder.chunkFile(shard);
            flipAByte(onDisk);
            String shard1 = stat.getStripes(1).getShards(0).getChunkId();
            NodeProcess holder1 = mesh.byId(stat.getStripes(1).getShards(0).getHolders(0).getNodeId());
            Path onDisk1 = holder1.chunkFile(shard1);
            flipAByte(onDisk1);

            var chunks = ChunksGrpc.newBlockingStub(holder.channel());
            assertThatThrownBy(() -> chunks.withDeadlineAfter(30, TimeUnit.SECONDS)
                    .getChunk(GetChunkRequest.newBuilder().setChunkId(shard).build()).forEachRemaining(f -> { }))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DATA_LOSS));
            assertThat(onDisk).as("the bad copy left the store").doesNotExist();
            try (Stream<Path> quarantined = Files.list(holder.dataDir().resolve("quarantine"))) {
                assertThat(quarantined.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith(shard));
            }
            assertThatThrownBy(() -> chunks.withDeadlineAfter(30, TimeUnit.SECONDS)
                    .getChunk(GetChunkRequest.newBuilder().setChunkId(shard).build()).forEachRemaining(f -> { }))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));

            NodeProcess reader = mesh.nodes().stream().filter(n -> n != holder1).findFirst().orElseThrow();
            FileCalls.Read read = FileCalls.get(reader.channel(), fileId);
            assertThat(read.error()).isNull();
            assertThat(read.bytes()).isEqualTo(data);
            assertThat(onDisk1).as("the copy a reader was refused left the store too").doesNotExist();
            for (NodeProcess n : mesh.nodes()) {
                assertThat(n.healthy()).as("node %s is still serving", n.nodeId()).isTrue();
            }
        }
    }

    private static void flipAByte(Path file) throws java.io.IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x10;
        Files.write(file, bytes);
    }
}
