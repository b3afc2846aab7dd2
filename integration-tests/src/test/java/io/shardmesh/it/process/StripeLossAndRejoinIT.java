package io.shardmesh.it.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.it.harness.Cli;
import io.shardmesh.it.harness.FileShares;
import io.shardmesh.it.harness.NodeProcess;
import io.shardmesh.it.harness.ProcessMesh;
import io.shardmesh.it.harness.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * m + 1 holders of one stripe killed with -9: the CLI get fails with exit code 5 (UNAVAILABLE)
 * and leaves no file behind. The killed nodes restarted on their data dirs without
 * {@code --bootstrap} rejoin from the peers they saved, and the file reads back again, which
 * needs shards only they hold.
 */
class StripeLossAndRejoinIT {

    static final int K = 3;
    static final int M = 2;
    static final Duration CLI_TIMEOUT = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    ProcessMesh mesh;

    @AfterEach
    void stopMesh() throws Exception {
        if (mesh != null) {
            mesh.close();
        }
    }

    @Test
    void mPlusOneHoldersKilled_getFailsUnavailable_thenRestartedWithoutBootstrap_theyRejoinAndServe() throws Exception {
        mesh = ProcessMesh.start(dir.resolve("mesh"), 5);
        Cli cli = new Cli(dir.resolve("cli"));
        Path original = TestFiles.random(dir.resolve("original.bin"), 4L << 20, 7);
        String sha = TestFiles.sha256(original);
        int b = 1;
        Cli.Result put = cli.run(CLI_TIMEOUT, "put", original.toString(), "-k", "" + K, "-m", "" + M,
                "--shard-size", "256KiB", "--node", mesh.node(0).address());
        assertThat(put.exitCode()).as(put.describe()).isZero();
        String fileId = put.stdout().trim();
        Cli.Result stat = cli.run(CLI_TIMEOUT, "stat", fileId, "--json", "--node", mesh.node(b).address());
        assertThat(stat.exitCode()).as(stat.describe()).isZero();
        FileShares shares = FileShares.parse(stat.stdout());

        // m + 1 holders of distinct shards of stripe 0, not B (the CLI's node). At least one
        // node that stays up keeps the manifest, so the failure is the stripe's, not the manifest's.
        List<Integer> victims = new ArrayList<>();
        List<String> theirShards = new ArrayList<>();
        for (int shard = 0; shard < K + M; shard++) {
            for (int port : shares.holderPorts(0, shard)) {
                int i = mesh.indexOfPort(port);
                if (i >= 0 && i != b && !victims.contains(i) && victims.size() < M + 1) {
                    victims.add(i);
                    theirShards.add(shares.chunkId(0, shard));
                }
            }
        }
        assertThat(victims).as("m + 1 distinct holders of stripe 0 besides node B").hasSize(M + 1);
        boolean manifestSurvives = false;
        for (int i = 0; i < mesh.size(); i++) {
            manifestSurvives |= !victims.contains(i) && mesh.holds(i, fileId);
        }
        assertThat(manifestSurvives).as("a node outside " + victims + " keeps the manifest").isTrue();
        List<String> oldIds = new ArrayList<>();
        for (int v : victims) {
            oldIds.add(mesh.node(v).nodeId());
            mesh.kill(v);
        }

        Path out = Files.createDirectories(cli.home().resolve("out"));
        Cli.Result lost = cli.run(CLI_TIMEOUT, "get", fileId, "-o", out.resolve("lost.bin").toString(),
                "--node", mesh.node(b).address());
        assertThat(lost.exitCode()).as(lost.describe()).isEqualTo(5);
        assertThat(lost.stderr().strip().lines()).as("one readable line").hasSize(1);
        assertThat(lost.stderr()).contains("stripe");
        try (Stream<Path> left = Files.list(out)) {
            assertThat(left).as("nothing written, not even a partial file").isEmpty();
        }
        System.out.printf("MESH get with m + 1 = %d holders of a stripe killed: exit %d after %d ms: %s%n",
                M + 1, lost.exitCode(), lost.took().toMillis(), lost.stderr().strip());

        long t0 = System.nanoTime();
        for (int idx = 0; idx < victims.size(); idx++) {
            int v = victims.get(idx);
            NodeProcess again = mesh.restart(v);
            assertThat(again.nodeId()).as("same data dir, same identity").isEqualTo(oldIds.get(idx));
        }
        // Rejoined from the saved peer table (no --bootstrap was given): each restarted node has
        // live peers in its routing table again.
        for (int v : victims) {
            mesh.awaitOnlinePeers(v, 1, Duration.ofSeconds(60));
            assertThat(mesh.status(v).getRoutingTableSize()).as("node %d routing table", v).isPositive();
        }
        System.out.printf("MESH %d nodes restarted without --bootstrap and rejoined in %d ms%n", victims.size(),
                (System.nanoTime() - t0) / 1_000_000);

        Cli.Result back = cli.run(CLI_TIMEOUT, "get", fileId, "-o", out.resolve("back.bin").toString(),
                "--node", mesh.node(b).address());
        assertThat(back.exitCode()).as(back.describe()).isZero();
        assertThat(TestFiles.sha256(out.resolve("back.bin"))).isEqualTo(sha);
        for (int idx = 0; idx < victims.size(); idx++) {
            assertThat(mesh.holds(victims.get(idx), theirShards.get(idx)))
                    .as("node %d still holds its shard of stripe 0", victims.get(idx)).isTrue();
        }
        System.out.printf("MESH get after the restarts: %d ms%n", back.took().toMillis());
    }
}
