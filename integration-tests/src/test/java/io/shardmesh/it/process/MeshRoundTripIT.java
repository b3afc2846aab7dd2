package io.shardmesh.it.process;

import static io.shardmesh.it.harness.StoredFile.CLI_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.it.harness.Cli;
import io.shardmesh.it.harness.ProcessCleanup;
import io.shardmesh.it.harness.ProcessMesh;
import io.shardmesh.it.harness.StoredFile;
import io.shardmesh.it.harness.TestFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Five node JVMs and the CLI as its own process: a file put through node A reads back bit for
 * bit through node B, and still does after m holders of the same stripe were killed with -9.
 */
class MeshRoundTripIT {

    static final int K = 3;
    static final int M = 2;

    @TempDir
    Path dir;

    @RegisterExtension
    final ProcessCleanup cleanup = new ProcessCleanup();

    @Test
    void putThroughA_getThroughB_identical_evenWithMHoldersOfAStripeKilled() throws Exception {
        ProcessMesh mesh = cleanup.add(ProcessMesh.start(dir.resolve("mesh"), 5));
        Cli cli = new Cli(dir.resolve("cli"));
        Path original = TestFiles.random(dir.resolve("original.bin"), 8L << 20, 42);
        int b = 1;
        StoredFile file = StoredFile.put(cli, mesh, 0, original, K, M, "256KiB");
        assertThat(file.shares().k()).isEqualTo(K);
        assertThat(file.shares().m()).isEqualTo(M);

        Cli.Result first = cli.run(CLI_TIMEOUT, "get", file.fileId(), "-o", "healthy.bin", "--node", mesh.node(b).address());
        assertThat(first.exitCode()).as(first.describe()).isZero();
        assertThat(TestFiles.sha256(cli.home().resolve("healthy.bin"))).isEqualTo(file.sha256());
        System.out.printf("MESH get 8 MiB through node %d, all nodes up: %d ms%n", b, first.took().toMillis());

        // m holders of stripe 0 (not B, which the CLI talks to), each holding a different shard of it.
        List<StoredFile.Holder> victims = file.distinctHolders(mesh, 0, M, Set.of(b));
        assertThat(victims).as("m distinct holders of stripe 0 besides node B").hasSize(M);
        for (StoredFile.Holder v : victims) {
            mesh.kill(v.node());
        }
        Cli.Result degraded = cli.run(CLI_TIMEOUT, "get", file.fileId(), "-o", "degraded.bin", "--node", mesh.node(b).address());
        assertThat(degraded.exitCode()).as(degraded.describe()).isZero();
        assertThat(TestFiles.sha256(cli.home().resolve("degraded.bin"))).isEqualTo(file.sha256());
        System.out.printf("MESH get 8 MiB through node %d with %s killed (-9): %d ms%n", b, victims, degraded.took().toMillis());
    }
}
