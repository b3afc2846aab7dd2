package io.shardmesh.it.process;

import static io.shardmesh.it.harness.StoredFile.CLI_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.it.harness.Cli;
import io.shardmesh.it.harness.ProcessCleanup;
import io.shardmesh.it.harness.ProcessMesh;
import io.shardmesh.it.harness.StoredFile;
import io.shardmesh.it.harness.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A shard holder killed with -9 in the middle of a CLI get: the get still completes, and the
 * bytes are identical.
 *
 * <p>How we know the kill landed mid-transfer: {@code shardmesh get -o FILE} writes into a
 * temporary {@code .FILE.*.shardmesh-partial} beside FILE and renames it only at the end. The
 * test watches that partial file and kills the holder once it has grown past two stripes but
 * is still short of the whole file, and it records the size it saw at the moment of the kill.
 * The victim holds a data shard of the last stripe, which the reader had not fetched yet (it
 * reads at most its window ahead, {@link #AHEAD} stripes here, and the kill lands before the last
 * stripe is within it), so the rest of the read really had to do without it.
 */
class KillDuringGetIT {

    static final int K = 3;
    static final int M = 2;
    static final long SIZE = 48L << 20;
    static final long STRIPE = K * (1L << 20);
    static final int AHEAD = io.shardmesh.common.transfer.TransferConfig.defaults().windowStripes(STRIPE);
    /** Written at the kill at most: the reader has not started the last stripe yet. */
    static final long KILL_BEFORE = SIZE - (AHEAD + 1) * STRIPE;

    @TempDir
    Path dir;

    @RegisterExtension
    final ProcessCleanup cleanup = new ProcessCleanup();

    @Test
    void holderKilledMidGet_getCompletes_identicalBytes() throws Exception {
        ProcessMesh mesh = cleanup.add(ProcessMesh.start(dir.resolve("mesh"), 5));
        Cli cli = new Cli(dir.resolve("cli"));
        Path original = TestFiles.random(dir.resolve("original.bin"), SIZE, 1234);
        int b = 1;
        StoredFile file = StoredFile.put(cli, mesh, 0, original, K, M, "1MiB");
        int lastStripe = file.shares().stripes() - 1;
        List<StoredFile.Holder> victim = file.distinctHolders(mesh, lastStripe, 1, Set.of(b));
        assertThat(victim).hasSize(1);

        Path out = Files.createDirectories(cli.home().resolve("out"));
        long partialAtKill;
        long killedAtMs;
        Cli.Result get;
        try (Cli.Running running = cli.start("get", file.fileId(), "-o", out.resolve("copy.bin").toString(),
                "--node", mesh.node(b).address())) {
            partialAtKill = -1;
            while (running.process().isAlive() && running.elapsed().compareTo(CLI_TIMEOUT) < 0) {
                long size = partialSize(out).orElse(-1L);
                if (size >= 2 * STRIPE && size < KILL_BEFORE) {
                    mesh.kill(victim.get(0).node());
                    partialAtKill = size;
                    break;
                }
                Thread.sleep(2);
            }
            killedAtMs = running.elapsed().toMillis();
            assertThat(partialAtKill).as("the get ended before the kill could land mid-transfer").isPositive();
            get = running.await(CLI_TIMEOUT);
        }
        assertThat(get.exitCode()).as(get.describe()).isZero();
        assertThat(TestFiles.sha256(out.resolve("copy.bin"))).isEqualTo(file.sha256());
        assertThat(partialAtKill).isLessThan(KILL_BEFORE);
        System.out.printf("MESH get %d MiB through node %d: node %d (data shard of the last stripe) killed -9 at %d ms,"
                        + " with %d of %d bytes written; get finished after %d ms, bytes identical%n",
                SIZE >> 20, b, victim.get(0).node(), killedAtMs, partialAtKill, SIZE, get.took().toMillis());
    }

    /**
     * A get stopped mid-transfer (SIGTERM here: it runs the same shutdown hook as Ctrl-C's SIGINT,
     * which a JVM started from a background job inherits as ignored) says so, takes its partial
     * file with it, and exits 143, as a get stopped by Ctrl-C exits 130.
     */
    @Test
    void getStoppedMidTransfer_saysNothingWritten_andLeavesNoPartialFile() throws Exception {
        ProcessMesh mesh = cleanup.add(ProcessMesh.start(dir.resolve("mesh"), 3));
        Cli cli = new Cli(dir.resolve("cli"));
        long size = 128L << 20;
        Path original = TestFiles.random(dir.resolve("original.bin"), size, 77);
        StoredFile file = StoredFile.put(cli, mesh, 0, original, 2, 1, "1MiB");

        Path out = Files.createDirectories(cli.home().resolve("out"));
        long partialAtStop = -1;
        Cli.Result get;
        try (Cli.Running running = cli.start("get", file.fileId(), "-o", out.resolve("copy.bin").toString(),
                "--node", mesh.node(1).address())) {
            while (running.process().isAlive() && running.elapsed().compareTo(CLI_TIMEOUT) < 0) {
                long written = partialSize(out).orElse(-1L);
                // Early, so the rest of the file (over 100 MiB) is still to come when the signal lands.
                if (written > 0 && written < size / 8) {
                    running.process().destroy();
                    partialAtStop = written;
                    break;
                }
                Thread.sleep(1);
            }
            assertThat(partialAtStop).as("the get ended before it could be stopped mid-transfer").isPositive();
            get = running.await(CLI_TIMEOUT);
        }
        assertThat(get.exitCode()).as(get.describe()).isEqualTo(143);
        assertThat(get.stderr()).contains("shardmesh get: interrupted, nothing written");
        try (Stream<Path> left = Files.list(out)) {
            assertThat(left).as("no partial file, no copy").isEmpty();
        }
        System.out.printf("MESH get of %d MiB stopped with %d bytes written: nothing left behind%n", size >> 20, partialAtStop);
    }

    /** Size of the get's partial file, if it exists yet. */
    private static Optional<Long> partialSize(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".shardmesh-partial")).toList()) {
                try {
                    return Optional.of(Files.size(p));
                } catch (java.nio.file.NoSuchFileException e) {
                    // Renamed into place meanwhile.
                }
            }
        }
        return Optional.empty();
    }
}
