package io.shardmesh.it.durable;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.it.harness.FileCalls;
import io.shardmesh.it.harness.NodeProcess;
import io.shardmesh.it.harness.ProcessCleanup;
import io.shardmesh.it.harness.ProcessMesh;
import io.shardmesh.it.harness.TestFiles;
import io.shardmesh.proto.v1.FilesStatResponse;
import io.shardmesh.proto.v1.ShardShares;
import io.shardmesh.proto.v1.StripeShares;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node is rebuilt with a new identity (a new data dir) on its old address while its peers
 * still know the old one. A put right after must count that address once: no stripe gets two
 * shards on it, and with it and m - 1 other holders down the file still reads back.
 */
class ReplacedIdentityIT {

    static final int NODES = 7;
    static final int K = 4;
    static final int M = 2;
    static final int SHARD = 64 << 10;

    @TempDir
    Path dir;

    @RegisterExtension
    final ProcessCleanup cleanup = new ProcessCleanup();

    @Test
    void newIdentityOnAReusedAddress_countsAsOneHost_andTheOldOneIsDropped() throws Exception {
        ProcessMesh mesh = cleanup.add(ProcessMesh.startOnHosts(dir.resolve("mesh"), NODES));
        Random random = new Random(7);
        byte[] before = new byte[3 * K * SHARD];
        random.nextBytes(before);
        // Every node learns every other, the node about to be rebuilt included.
        String first = FileCalls.put(mesh.node(0).channel(), before, "before.bin", K, M, SHARD).getFileId();

        int rebuilt = 3;
        NodeProcess old = mesh.node(rebuilt);
        String oldId = old.nodeId();
        String address = old.address();
        mesh.kill(rebuilt);
        TestFiles.deleteTree(mesh.dataDir(rebuilt));
        NodeProcess fresh = cleanup.add(NodeProcess.start(mesh.dataDir(rebuilt), old.host(), old.port(),
                "--bootstrap", mesh.node(0).address()));
        assertThat(fresh.nodeId()).isNotEqualTo(oldId);
        assertThat(fresh.address()).isEqualTo(address);

        // Whole stripes: a short last stripe's padding shards share one id, and so one list of holders.
        byte[] after = new byte[3 * K * SHARD];
        random.nextBytes(after);
        var put = FileCalls.put(mesh.node(0).channel(), after, "after.bin", K, M, SHARD);
        FilesStatResponse stat = FileCalls.stat(mesh.node(0).channel(), put.getFileId());

        for (StripeShares stripe : stat.getStripesList()) {
            List<String> addresses = stripe.getShardsList().stream().map(ShardShares::getHoldersList)
                    .map(h -> h.get(0).getHost() + ":" + h.get(0).getPort()).toList();
            assertThat(new HashSet<>(addresses)).as("stripe %d: one shard per address", stripe.getIndex()).hasSize(K + M);
            assertThat(stripe.getShardsList()).as("stripe %d: no shard placed on the old identity", stripe.getIndex())
                    .allSatisfy(s -> assertThat(s.getHoldersList()).noneMatch(h -> h.getNodeId().equals(oldId)));
            assertThat(stripe.getLiveShards()).isEqualTo(K + M);
        }
        assertThat(put.getLossesSurvived()).isEqualTo(M);

        // The rebuilt node and m - 1 other holders down: the new file still reads back.
        fresh.kill();
        Set<Integer> down = new HashSet<>();
        for (StripeShares stripe : stat.getStripesList()) {
            for (ShardShares s : stripe.getShardsList()) {
                int i = mesh.indexOf(s.getHolders(0).getNodeId());
                if (down.size() < M - 1 && i > 0 && i != rebuilt) {
                    down.add(i);
                }
            }
        }
        for (int i : down) {
            mesh.kill(i);
        }
        FileCalls.Read read = FileCalls.get(mesh.node(0).channel(), put.getFileId());
        assertThat(read.error()).isNull();
        assertThat(read.bytes()).isEqualTo(after);
        assertThat(FileCalls.get(mesh.node(0).channel(), first).bytes()).isEqualTo(before);
        System.out.printf("DURABLE a new identity on %s (was %s): %d stripes, one shard per address in each, read back"
                + " with it and %d other holder(s) down%n", address, oldId.substring(0, 12), stat.getStripesCount(), down.size());
    }
}
