package io.shardmesh.it.process;

import static io.shardmesh.it.harness.StoredFile.CLI_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.shardmesh.it.harness.ChunkCalls;
import io.shardmesh.it.harness.Cli;
import io.shardmesh.it.harness.NodeProcess;
import io.shardmesh.it.harness.ProcessCleanup;
import io.shardmesh.it.harness.TestFiles;
import io.shardmesh.proto.v1.NodeGrpc;
import io.shardmesh.proto.v1.StatusRequest;
import io.shardmesh.proto.v1.StatusResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node at its storage quota refuses new shards with RESOURCE_EXHAUSTED and writes nothing,
 * the CLI put fails with one readable line and a non-zero exit, what the node already holds
 * still reads back, and once a file is removed and collected, the same put succeeds.
 *
 * <p>The node runs with a 1 MiB quota and the hidden {@code --gc-grace-seconds} /
 * {@code --gc-interval-seconds} flags, so unpinned shards go within seconds, not an hour.
 */
class DiskFullIT {

    static final Duration DEADLINE = Duration.ofSeconds(10);
    /** 512 KiB files with k = 2, m = 1, 256 KiB shards: three 256 KiB shards, 768 KiB of a 1 MiB quota. */
    // One node: a degraded put (all shards on it) is what this test stores; its subject is the quota.
    static final String[] CODING = {"-k", "2", "-m", "1", "--shard-size", "256KiB", "--allow-degraded"};

    @TempDir
    Path dir;

    @RegisterExtension
    final ProcessCleanup cleanup = new ProcessCleanup();

    @Test
    void atQuota_putsRefusedWithResourceExhausted_readsServed_andPutsWorkAgainAfterRmAndGc() throws Exception {
        NodeProcess node = cleanup.add(NodeProcess.start(dir.resolve("node"), "--max-storage", "1MiB",
                "--gc-grace-seconds", "5", "--gc-interval-seconds", "1"));
        Cli cli = new Cli(dir.resolve("cli"));
        Path first = TestFiles.random(dir.resolve("first.bin"), 512 << 10, 1);
        Path second = TestFiles.random(dir.resolve("second.bin"), 512 << 10, 2);

        Cli.Result put1 = cli.run(CLI_TIMEOUT, put(first, node));
        assertThat(put1.exitCode()).as(put1.describe()).isZero();
        String firstId = put1.stdout().trim();
        long usedBefore = status(node).getStoredBytes();
        assertThat(usedBefore).isGreaterThanOrEqualTo(768L << 10);

        // Raw PutChunk past the quota: RESOURCE_EXHAUSTED, nothing kept, nothing left in tmp/.
        byte[] extra = Files.readAllBytes(second);
        StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
                () -> ChunkCalls.put(node.channel(), extra, 64 << 10, null, null, DEADLINE));
        assertThat(refused).as("PutChunk past the quota").isNotNull();
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(refused.getStatus().getDescription()).contains("quota");
        assertThat(ChunkCalls.held(node.channel(), List.of(TestFiles.sha256(extra)), DEADLINE)).isEmpty();
        assertThat(status(node).getStoredBytes()).isEqualTo(usedBefore);
        try (Stream<Path> tmp = Files.list(node.dataDir().resolve("tmp"))) {
            assertThat(tmp).as("no temp file of the refused upload").isEmpty();
        }

        // The CLI put: one readable line, non-zero exit.
        Cli.Result full = cli.run(CLI_TIMEOUT, put(second, node));
        assertThat(full.exitCode()).as(full.describe()).isNotZero();
        assertThat(full.stderr().strip().lines()).as(full.describe()).hasSize(1);
        assertThat(full.stderr()).containsIgnoringCase("quota").doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(full.stdout()).isEmpty();
        System.out.printf("DISK put past a 1 MiB quota: exit %d: %s%n", full.exitCode(), full.stderr().strip());

        // What it holds still reads back, through the CLI.
        Cli.Result read = cli.run(CLI_TIMEOUT, "get", firstId, "-o", "first.copy", "--node", node.address());
        assertThat(read.exitCode()).as(read.describe()).isZero();
        assertThat(TestFiles.sha256(cli.home().resolve("first.copy"))).isEqualTo(TestFiles.sha256(first));

        // Free the space: rm (owner-signed unpin), then garbage collection after the grace period.
        Cli.Result rm = cli.run(CLI_TIMEOUT, "rm", firstId, "--node", node.address());
        assertThat(rm.exitCode()).as(rm.describe()).isZero();
        long t0 = System.nanoTime();
        long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
        while (status(node).getStoredBytes() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(status(node).getStoredBytes()).as("bytes stored 60 s after rm").isZero();
        System.out.printf("DISK rm then garbage collection freed the quota in %d ms%n", (System.nanoTime() - t0) / 1_000_000);

        Cli.Result again = cli.run(CLI_TIMEOUT, put(second, node));
        assertThat(again.exitCode()).as(again.describe()).isZero();
        Cli.Result back = cli.run(CLI_TIMEOUT, "get", again.stdout().trim(), "-o", "second.copy", "--node", node.address());
        assertThat(back.exitCode()).as(back.describe()).isZero();
        assertThat(TestFiles.sha256(cli.home().resolve("second.copy"))).isEqualTo(TestFiles.sha256(second));
    }

    private static String[] put(Path file, NodeProcess node) {
        return Stream.concat(Stream.of("put", file.toString(), "--node", node.address()), Stream.of(CODING)).toArray(String[]::new);
    }

    private static StatusResponse status(NodeProcess node) {
        return NodeGrpc.newBlockingStub(node.channel()).withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .status(StatusRequest.getDefaultInstance());
    }
}
