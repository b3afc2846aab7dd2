package io.shardmesh.it.durable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.shardmesh.it.harness.FileCalls;
import io.shardmesh.it.harness.NodeProcess;
import io.shardmesh.it.harness.ProcessCleanup;
import io.shardmesh.it.harness.ProcessMesh;
import io.shardmesh.proto.v1.ShardShares;
import io.shardmesh.proto.v1.StripeShares;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes whose quota is full among empty ones: a put places nothing on them and still gets k + m
 * distinct holders per stripe; when too few nodes have room for that, it fails with
 * RESOURCE_EXHAUSTED and keeps nothing anywhere.
 */
class FullNodeIT {

    static final int K = 4;
    static final int M = 2;
    static final int SHARD = 64 << 10;

    @TempDir
    Path dir;

    @RegisterExtension
    final ProcessCleanup cleanup = new ProcessCleanup();

    @Test
    void fullNodesAmongEmptyOnes_getNoShard_andTooManyFullFailsCleanly() throws Exception {
        ProcessMesh mesh = cleanup.add(ProcessMesh.startOnHosts(dir.resolve("mesh"), 5));
        List<NodeProcess> full = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            full.add(cleanup.add(NodeProcess.start(dir.resolve("full" + i), ProcessMesh.hostOf(20 + i), 0,
                    "--max-storage", "16KiB", "--bootstrap", mesh.node(0).address())));
        }
        mesh.awaitOnlinePeers(0, 6, Duration.ofSeconds(60));
        Random random = new Random(11);

        // 5 empty nodes and 1 full one (the other is down): 5 can take shards, not 6.
        full.get(1).kill();
        byte[] refused = new byte[2 * K * SHARD];
        random.nextBytes(refused);
        List<Long> storedBefore = stored(mesh);
        assertThatThrownBy(() -> FileCalls.put(mesh.node(0).channel(), refused, "refused.bin", K, M, SHARD))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                    assertThat(e.getStatus().getDescription()).contains("quota").contains("stripe");
                });
        assertThat(stored(mesh)).as("bytes stored on the empty nodes after the refused put").isEqualTo(storedBefore);

        // One more empty node: 6 with room and the full one, and the put goes around the full one.
        NodeProcess extra = cleanup.add(NodeProcess.start(dir.resolve("extra"), ProcessMesh.hostOf(30), 0,
                "--bootstrap", mesh.node(0).address()));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (mesh.awaitOnlinePeers(0, 6, Duration.ofSeconds(60)).stream()
                .noneMatch(p -> p.getContact().getNodeId().equals(extra.nodeId())) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        byte[] data = new byte[3 * K * SHARD + 7];
        random.nextBytes(data);
        var put = FileCalls.put(mesh.node(0).channel(), data, "placed.bin", K, M, SHARD);
        assertThat(put.getLossesSurvived()).isEqualTo(M);
        var stat = FileCalls.stat(mesh.node(0).channel(), put.getFileId());
        for (StripeShares stripe : stat.getStripesList()) {
            var holders = stripe.getShardsList().stream().map(ShardShares::getHoldersList).map(h -> h.get(0).getNodeId()).toList();
            assertThat(new HashSet<>(holders)).hasSize(K + M);
            // The last stripe holds 7 bytes (2-byte shards), which fit the full node's 16 KiB and
            // may land there when its upload runs before the full node refused anything.
            if (stripe.getIndex() < 3) {
                assertThat(holders).as("stripe %d of 64 KiB shards", stripe.getIndex()).doesNotContain(full.get(0).nodeId());
            }
        }
        assertThat(FileCalls.get(mesh.node(1).channel(), put.getFileId()).bytes()).isEqualTo(data);
        System.out.printf("DURABLE a put refused for quota (5 nodes with room for 6 shards) kept nothing; with 6,"
                + " %d stripes placed around the full node%n", stat.getStripesCount());
        extra.kill();
    }

    private static List<Long> stored(ProcessMesh mesh) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < mesh.size(); i++) {
            out.add(mesh.status(i).getStoredBytes());
        }
        return out;
    }
}
