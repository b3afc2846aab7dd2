package io.shardmesh.it.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.it.harness.Cli;
import io.shardmesh.it.harness.FileShares;
import io.shardmesh.it.harness.ProcessMesh;
import io.shardmesh.it.harness.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Five node JVMs and the CLI as its own process: a file put through node A reads back bit for
 * bit through node B, and still does after m holders of the same stripe were killed with -9.
 */
class MeshRoundTripIT {

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
    void putThroughA_getThroughB_identical_evenWithMHoldersOfAStripeKilled() throws Exception {
        mesh = ProcessMesh.start(dir.resolve("mesh"), 5);
        Cli cli = new Cli(dir.resolve("cli"));
        Path original = TestFiles.random(dir.resolve("original.bin"), 8L << 20, 42);
        String sha = TestFiles.sha256(original);
        int a = 0;
        int b = 1;

        Cli.Result put = cli.run(CLI_TIMEOUT, "put", original.toString(), "-k", "" + K, "-m", "" + M,
                "--shard-size", "256KiB", "--node", mesh.node(a).address());
        assertThat(put.exitCode()).as(put.describe()).isZero();
        String fileId = put.stdout().trim();
        assertThat(fileId).matches("[0-9a-f]{64}");
        System.out.printf("MESH put 8 MiB through node %d: %d ms (CLI process, JVM start included)%n", a, put.took().toMillis());

        Cli.Result first = cli.run(CLI_TIMEOUT, "get", fileId, "-o", "healthy.bin", "--node", mesh.node(b).address());
        assertThat(first.exitCode()).as(first.describe()).isZero();
        assertThat(TestFiles.sha256(cli.home().resolve("healthy.bin"))).isEqualTo(sha);
        System.out.printf("MESH get 8 MiB through node %d, all nodes up: %d ms%n", b, first.took().toMillis());

        Cli.Result stat = cli.run(CLI_TIMEOUT, "stat", fileId, "--json", "--node", mesh.node(b).address());
        assertThat(stat.exitCode()).as(stat.describe()).isZero();
        FileShares shares = FileShares.parse(stat.stdout());
        assertThat(shares.k()).isEqualTo(K);
        assertThat(shares.m()).isEqualTo(M);

        // m holders of stripe 0 (not B, which the CLI talks to), each holding a different shard of it.
        List<Integer> victims = new ArrayList<>();
        Set<String> shardsLost = new TreeSet<>();
        for (int shard = 0; shard < K + M && victims.size() < M; shard++) {
            for (int port : shares.holderPorts(0, shard)) {
                int i = mesh.indexOfPort(port);
                if (i >= 0 && i != b && !victims.contains(i) && victims.size() < M) {
                    victims.add(i);
                    shardsLost.add(shares.chunkId(0, shard));
                }
            }
        }
        assertThat(victims).as("m distinct holders of stripe 0 besides node B").hasSize(M);
        for (int v : victims) {
            mesh.kill(v);
        }
        Cli.Result degraded = cli.run(CLI_TIMEOUT, "get", fileId, "-o", "degraded.bin", "--node", mesh.node(b).address());
        assertThat(degraded.exitCode()).as(degraded.describe()).isZero();
        assertThat(TestFiles.sha256(cli.home().resolve("degraded.bin"))).isEqualTo(sha);
        assertThat(Files.size(cli.home().resolve("degraded.bin"))).isEqualTo(Files.size(original));
        System.out.printf("MESH get 8 MiB through node %d with nodes %s killed (-9, %d shards of stripe 0 gone): %d ms%n",
                b, victims, shardsLost.size(), degraded.took().toMillis());
    }
}
