package io.shardmesh.it.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.it.harness.ChunkCalls;
import io.shardmesh.it.harness.NodeProcess;
import io.shardmesh.it.harness.ProcessCleanup;
import io.shardmesh.it.harness.TestFiles;
import io.shardmesh.proto.v1.NodeGrpc;
import io.shardmesh.proto.v1.StatusRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node killed with -9 while shards are being written to it, again and again, never loses an
 * acknowledged shard and never keeps a broken one. Each cycle: writers PutChunk random shards
 * (some pinned, so the database is written too) until a few were acknowledged, the node is
 * killed at a random moment after that, with uploads in flight; then, before the restart, every
 * file in the chunk dir must hash to its name, and after the restart (the database opened, or
 * the node would not start) no temp file is left, every shard ever acknowledged is held with
 * identical bytes, and every acknowledged pin is still there.
 *
 * <p>50 cycles always ({@code mvn verify}); {@code -Psoak} runs 300. Cycle time is dominated by
 * the node JVM's start-up and is printed.
 */
class CrashSafetyIT {

    static final int CYCLES = Integer.getInteger("shardmesh.crash.cycles", 50);
    static final int WRITERS = 2;
    static final int ACKS_BEFORE_KILL = 3;
    static final int MAX_CHUNK = 128 << 10;
    /** Small frames, so most uploads are several messages and a kill can land between them. */
    static final int FRAME = 16 << 10;
    static final Duration DEADLINE = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @RegisterExtension
    final ProcessCleanup cleanup = new ProcessCleanup();

    /** Chunk id to the seed its bytes came from, for every acknowledged PutChunk. */
    final Map<String, Long> acked = new ConcurrentHashMap<>();
    /** File ids under which an acknowledged PutChunk pinned its chunk. */
    final Set<String> pinnedFiles = ConcurrentHashMap.newKeySet();
    final NodeKey owner = NodeKey.generate();

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void killedDuringWrites_keepsEveryAckedShard_andOnlyWholeVerifiedOnes() throws Exception {
        Path data = dir.resolve("node");
        long seedBase = System.nanoTime();
        System.out.println("CRASH seed base " + seedBase + ", " + CYCLES + " cycles");
        long t0 = System.nanoTime();
        long startupNanos = 0;
        int inFlightAtKills = 0;
        int tmpLeftByKills = 0;
        NodeProcess node = cleanup.add(NodeProcess.start(data));
        for (int cycle = 0; cycle < CYCLES; cycle++) {
            Map<String, Long> ackedThisCycle = new ConcurrentHashMap<>();
            AtomicInteger inFlight = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                long seeds = seedBase + cycle * 1_000_000L + w * 100_000L;
                ManagedChannel ch = node.channel();
                Thread t = new Thread(() -> write(ch, seeds, stop, inFlight, ackedThisCycle), "writer-" + w);
                t.start();
                writers.add(t);
            }
            long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (ackedThisCycle.size() < ACKS_BEFORE_KILL && System.nanoTime() < waitUntil) {
                Thread.sleep(1);
            }
            assertThat(ackedThisCycle.size()).as("cycle %d: shards acknowledged before the kill", cycle)
                    .isGreaterThanOrEqualTo(ACKS_BEFORE_KILL);
            Thread.sleep(ThreadLocalRandom.current().nextInt(40));
            inFlightAtKills += inFlight.get();
            node.kill();
            stop.set(true);
            for (Thread t : writers) {
                t.join(TimeUnit.SECONDS.toMillis(DEADLINE.toSeconds() + 10));
                assertThat(t.isAlive()).as("writer stopped").isFalse();
            }

            // Dead node: only whole, verified shards are visible; unfinished writes are in tmp/.
            assertEveryChunkFileHashesToItsName(data);
            tmpLeftByKills += countFiles(data.resolve("tmp"));

            long s = System.nanoTime();
            node = cleanup.add(NodeProcess.start(data));
            startupNanos += System.nanoTime() - s;

            assertThat(countFiles(data.resolve("tmp"))).as("cycle %d: temp files after the start-up sweep", cycle).isZero();
            Set<String> held = ChunkCalls.held(node.channel(), acked.keySet(), DEADLINE);
            assertThat(acked.keySet()).as("cycle %d: every shard ever acknowledged is held", cycle).isSubsetOf(held);
            for (Map.Entry<String, Long> e : ackedThisCycle.entrySet()) {
                assertThat(ChunkCalls.get(node.channel(), e.getKey(), DEADLINE))
                        .as("cycle %d: bytes of %s", cycle, e.getKey()).isEqualTo(bytes(e.getValue()));
            }
            long pinned = NodeGrpc.newBlockingStub(node.channel()).withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                    .status(StatusRequest.getDefaultInstance()).getPinnedFiles();
            assertThat(pinned).as("cycle %d: files with pins (every acknowledged pin kept)", cycle)
                    .isGreaterThanOrEqualTo(pinnedFiles.size());
        }
        assertEveryChunkFileHashesToItsName(data);
        long total = System.nanoTime() - t0;
        System.out.printf("CRASH %d kill -9 cycles in %.1f s: %.0f ms per cycle (node start-up to SERVING %.0f ms);"
                        + " %d shards acknowledged, all kept; %d pinned files; %d uploads in flight at the kills;"
                        + " %d unfinished temp files left by kills, all swept at start-up%n",
                CYCLES, total / 1e9, total / 1e6 / CYCLES, startupNanos / 1e6 / CYCLES, acked.size(), pinnedFiles.size(),
                inFlightAtKills, tmpLeftByKills);
    }

    /** One writer: PutChunk of random shards until stopped or the node is gone; every 4th pins. */
    private void write(ManagedChannel ch, long seeds, AtomicBoolean stop, AtomicInteger inFlight, Map<String, Long> ackedThisCycle) {
        for (long seed = seeds; !stop.get(); seed++) {
            byte[] bytes = bytes(seed);
            String id = TestFiles.sha256(bytes);
            boolean pin = seed % 4 == 0;
            String fileId = HexFormat.of().formatHex(bytes(seed ^ 0x5eed, 32));
            inFlight.incrementAndGet();
            try {
                ChunkCalls.put(ch, bytes, FRAME, pin ? owner : null, fileId, DEADLINE);
                acked.put(id, seed);
                ackedThisCycle.put(id, seed);
                if (pin) {
                    pinnedFiles.add(fileId);
                }
            } catch (StatusRuntimeException | IllegalStateException e) {
                return; // the node was killed: this upload may or may not have landed, and that is allowed
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                inFlight.decrementAndGet();
            }
        }
    }

    private static byte[] bytes(long seed) {
        Random r = new Random(seed);
        return bytes(seed, 1 + r.nextInt(MAX_CHUNK));
    }

    private static byte[] bytes(long seed, int size) {
        byte[] b = new byte[size];
        new Random(seed * 31 + size).nextBytes(b);
        return b;
    }

    private static void assertEveryChunkFileHashesToItsName(Path data) throws IOException {
        Path chunks = data.resolve("chunks");
        if (!Files.isDirectory(chunks)) {
            return;
        }
        try (Stream<Path> files = Files.walk(chunks)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertThat(TestFiles.sha256(f)).as("chunk file %s", f).isEqualTo(f.getFileName().toString());
            }
        }
    }

    private static int countFiles(Path d) throws IOException {
        if (!Files.isDirectory(d)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(d)) {
            return (int) files.count();
        }
    }
}
