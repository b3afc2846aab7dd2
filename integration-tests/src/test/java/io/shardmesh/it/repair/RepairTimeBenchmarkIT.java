package io.shardmesh.it.repair;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.shardmesh.it.harness.ProcessMesh;
import io.shardmesh.it.harness.TestFiles;
import io.shardmesh.proto.v1.FilesStatResponse;
import io.shardmesh.proto.v1.RepairStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opt-in measurement, not a check (skipped unless {@code -Drepair.bench=true}): on an 8-node
 * real-process mesh (each node its own loopback address, {@code --repair-interval 2s
 * --repair-delay 4s}), enough 4 + 2 data with 1 MiB shards that each node holds about
 * {@code repair.bench.perNodeMiB} MiB of shards (default 1024); the node holding the most is
 * killed with -9, and the time until every stripe is back to k + m live shards on distinct
 * running nodes is measured, with the repair traffic from Node.Status of the survivors: bytes
 * fetched per byte rebuilt (the ideal for Reed-Solomon is k) and MB/s rebuilt. Figures are printed
 * on lines starting with REPAIR-BENCH; nothing about them is asserted but that the files read back.
 *
 * <pre>
 * mvn -B verify -pl integration-tests -Dit.test=RepairTimeBenchmarkIT -Dtest=none \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false \
 *     -Dsurefire.fork.timeout=7200 -Drepair.bench=true \
 *     [-Drepair.bench.perNodeMiB=1024] [-Drepair.bench.rates=0,default]
 * </pre>
 *
 * One rate at 1024 MiB per node takes 12-15 minutes on 2 cores (about 4 of them the puts of
 * 5.3 GiB, 5-8 the repair), so the build's fork timeout of 900 s must be raised as above.
 *
 * {@code repair.bench.rates}: one mesh per entry, each its {@code --repair-rate} ("default" passes
 * none, so the node's default of 40 MB/s applies); default "0" (no bound, so the bound does not
 * dominate). The output is in {@code target/failsafe-reports/*RepairTimeBenchmarkIT-output.txt}.
 */
class RepairTimeBenchmarkIT {

    static final int NODES = 8;
    static final int K = 4;
    static final int M = 2;
    static final int SHARD = 1 << 20;
    static final int READER = 0;
    static final long MIB = 1 << 20;
    static final int PER_NODE_MIB = Integer.getInteger("repair.bench.perNodeMiB", 1024);
    static final String RATES = System.getProperty("repair.bench.rates", "0");
    /** Whole stripes (k MiB); the last file of a run may be shorter. */
    static final long FILE_BYTES = 256 * MIB;
    static final int PUTS_AT_ONCE = 4;
    static final Duration HEAL_BOUND = Duration.ofMinutes(30);
    /** Files read back in full after the repair (first, middle, last), to check the bytes. */
    static final int VERIFIED_FILES = 3;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 3, unit = TimeUnit.HOURS)
    void nodeWithItsShardsKilled_timeToFullRedundancy_andRepairBytesPerByteRebuilt() throws Exception {
        assumeTrue(Boolean.getBoolean("repair.bench"), "opt-in benchmark, skipped: run it with"
                + " mvn -B verify -pl integration-tests -Dit.test=RepairTimeBenchmarkIT -Dtest=none"
                + " -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false"
                + " -Dsurefire.fork.timeout=7200 -Drepair.bench=true"
                + " [-Drepair.bench.perNodeMiB=1024] [-Drepair.bench.rates=0,default]");
        long needed = (long) PER_NODE_MIB * MIB * NODES * 13 / 10;
        long free = Files.getFileStore(dir).getUsableSpace();
        assumeTrue(free > needed + (4L << 30), String.format("skipped: %d MiB free under %s, the run needs about %d MiB"
                + " (lower -Drepair.bench.perNodeMiB)", free / MIB, dir, needed / MIB));
        System.out.printf("REPAIR-BENCH date %s; machine: %d cpus, %d MiB RAM, %s; disk free %d MiB; java %s%n",
                Instant.now(), Runtime.getRuntime().availableProcessors(), memTotalMib(), cpuModel(), free / MIB,
                System.getProperty("java.version"));
        for (String rate : RATES.split(",")) {
            runOnce(rate.strip());
        }
    }

    private void runOnce(String rate) throws Exception {
        Path root = dir.resolve("rate-" + rate.replaceAll("[^A-Za-z0-9]", "_"));
        List<String> flags = new ArrayList<>(List.of("--repair-interval", "2s", "--repair-delay", "4s"));
        if (!rate.equals("default")) {
            flags.addAll(List.of("--repair-rate", rate));
        }
        String label = "--repair-rate " + (rate.equals("default") ? "default (40MB)" : rate);
        try (ProcessMesh mesh = ProcessMesh.startOnHosts(root, NODES, flags.toArray(String[]::new))) {
            RepairWatch watch = new RepairWatch(mesh);
            try {
                measure(mesh, watch, label);
            } finally {
                System.out.println("REPAIR-BENCH node logs kept in " + watch.keepLogs(getClass().getSimpleName() + "-"
                        + root.getFileName()));
            }
        } finally {
            TestFiles.deleteTree(root);
        }
    }

    private void measure(ProcessMesh mesh, RepairWatch watch, String label) throws Exception {
        for (int i = 0; i < NODES; i++) {
            mesh.awaitOnlinePeers(i, NODES - 1, Duration.ofSeconds(60));
        }
        // The data that spreads about PER_NODE_MIB of shards on each node: (k + m) / k of it is stored.
        long stripeBytes = (long) K * SHARD;
        long total = (long) PER_NODE_MIB * MIB * NODES * K / (K + M) / stripeBytes * stripeBytes;
        List<Long> sizes = new ArrayList<>();
        for (long left = total; left > 0; left -= FILE_BYTES) {
            sizes.add(Math.min(FILE_BYTES, left));
        }
        long p0 = System.nanoTime();
        List<BulkFiles.Stored> stored = putAll(watch, sizes);
        double putSeconds = (System.nanoTime() - p0) / 1e9;
        List<String> ids = stored.stream().map(BulkFiles.Stored::fileId).toList();
        RepairWatch.Healed whole = watch.awaitFullRedundancy(READER, ids, System.nanoTime(), Duration.ofMinutes(5));
        int stripes = whole.stats().values().stream().mapToInt(FilesStatResponse::getStripesCount).sum();
        System.out.printf("REPAIR-BENCH [%s] put %d files, %d MiB of data (%d stripes of %d + %d, %d MiB shards, %d MiB"
                        + " stored) in %.1f s: %.1f MB/s of data through %d puts at once%n", label, sizes.size(), total / MIB,
                stripes, K, M, SHARD / MIB, total / MIB * (K + M) / K, putSeconds, total / 1e6 / putSeconds, PUTS_AT_ONCE);
        assertThat(watch.awaitRepairIdle(Duration.ofMinutes(2))).as("repair idle before the kill").isTrue();

        // The node holding the most (stored bytes from Node.Status), never the reader.
        long[] storedBytes = new long[NODES];
        for (int i = 0; i < NODES; i++) {
            storedBytes[i] = mesh.status(i).getStoredBytes();
        }
        int victim = 1;
        for (int i = 1; i < NODES; i++) {
            if (storedBytes[i] > storedBytes[victim]) {
                victim = i;
            }
        }
        Map<Integer, Integer> shards = watch.shardsPerNode(whole.stats());
        System.out.printf("REPAIR-BENCH [%s] stored MiB per node %s; shards per node %s; killing node %d (%d MiB, %d shards)%n",
                label, Arrays.stream(storedBytes).map(b -> b / MIB).boxed().toList(), shards, victim, storedBytes[victim] / MIB,
                shards.getOrDefault(victim, 0));
        RepairStatus before = watch.sumRepair(victim);

        mesh.kill(victim);
        long died = System.nanoTime();
        long firstWrite = -1;
        long lastReport = died;
        long deadline = died + HEAL_BOUND.toNanos();
        List<String> shortNow = List.of("not asked yet");
        while (true) {
            RepairStatus now = watch.sumRepair();
            long written = now.getBytesWritten() - before.getBytesWritten();
            if (firstWrite < 0 && written > 0) {
                firstWrite = System.nanoTime();
            }
            try {
                shortNow = watch.shortfalls(watch.stat(READER, ids), watch.runningIds());
            } catch (io.grpc.StatusRuntimeException e) {
                shortNow = List.of("Stat failed: " + e.getStatus());
            }
            if (shortNow.isEmpty()) {
                break;
            }
            if (System.nanoTime() - lastReport > TimeUnit.SECONDS.toNanos(15)) {
                lastReport = System.nanoTime();
                System.out.printf("REPAIR-BENCH [%s] +%.0f s: %d stripe(s) short; written %d MiB, fetched %d MiB; running %d,"
                                + " queued %d, failed %d%n", label, (lastReport - died) / 1e9, shortNow.size(), written / MIB,
                        (now.getBytesFetched() - before.getBytesFetched()) / MIB, now.getRunning(), now.getQueued(),
                        now.getFailed() - before.getFailed());
            }
            assertThat(System.nanoTime()).as("full redundancy within %s; still short: %s", HEAL_BOUND,
                    shortNow.subList(0, Math.min(5, shortNow.size()))).isLessThan(deadline);
            Thread.sleep(1000);
        }
        double healSeconds = (System.nanoTime() - died) / 1e9;
        // Counters settle once the last repairs have answered: read them when idle.
        watch.awaitRepairIdle(Duration.ofMinutes(2));
        RepairStatus after = watch.sumRepair();
        long fetched = after.getBytesFetched() - before.getBytesFetched();
        long written = after.getBytesWritten() - before.getBytesWritten();
        long repaired = after.getShardsRepaired() - before.getShardsRepaired();
        long lostShards = shards.getOrDefault(victim, 0);
        System.out.printf("REPAIR-BENCH [%s] node %d killed -9 holding %d MiB (%d shards): full redundancy after %.1f s"
                        + " (first repair write after %.1f s); rebuilt %d MiB in %d shards (%.2f x the shards lost; stripes"
                        + " repaired %d, failed %d): %.1f MB/s rebuilt over the whole time, %.1f MB/s from the first write%n",
                label, victim, storedBytes[victim] / MIB, lostShards, healSeconds,
                firstWrite < 0 ? -1.0 : (firstWrite - died) / 1e9, written / MIB, repaired,
                lostShards == 0 ? 0.0 : (double) repaired / lostShards, after.getDone() - before.getDone(),
                after.getFailed() - before.getFailed(), written / 1e6 / healSeconds,
                firstWrite < 0 ? 0.0 : written / 1e6 / ((System.nanoTime() - firstWrite) / 1e9));
        System.out.printf("REPAIR-BENCH [%s] repair traffic (summed over the %d survivors): fetched %d MiB, written %d MiB;"
                        + " fetched per byte rebuilt %.2f (ideal k = %d); moved (fetched + written) per byte rebuilt %.2f"
                        + " (ideal k + 1 = %d); surplus copies dropped %d%n", label, mesh.nodes().size(), fetched / MIB,
                written / MIB, written == 0 ? 0.0 : (double) fetched / written, K,
                written == 0 ? 0.0 : (double) (fetched + written) / written, K + 1,
                after.getSurplusDropped() - before.getSurplusDropped());
        // Rebuilt bytes count a shard each time it was rebuilt; the victim's bytes count each lost shard once.
        long restored = storedBytes[victim];
        System.out.printf("REPAIR-BENCH [%s] restored %d MiB (the victim's shards, each once): %.1f MB/s restored;"
                        + " moved (fetched + written) per byte restored %.2f, fetched per byte restored %.2f (ideal %d)%n",
                label, restored / MIB, restored / 1e6 / healSeconds, (double) (fetched + written) / restored,
                (double) fetched / restored, K);

        long v0 = System.nanoTime();
        long read = 0;
        for (int i : new int[] {0, stored.size() / 2, stored.size() - 1}) {
            BulkFiles.Stored f = stored.get(i);
            BulkFiles.Read back = BulkFiles.get(watch.channel(READER), f.fileId(), Duration.ofMinutes(10));
            assertThat(back.bytes()).as("bytes of file %d", i).isEqualTo(f.size());
            assertThat(back.sha256()).as("SHA-256 of file %d", i).isEqualTo(f.sha256());
            read += back.bytes();
        }
        double readSeconds = (System.nanoTime() - v0) / 1e9;
        System.out.printf("REPAIR-BENCH [%s] %d of %d files read back bit for bit after the repair: %d MiB in %.1f s (%.1f MB/s)%n",
                label, Math.min(VERIFIED_FILES, stored.size()), stored.size(), read / MIB, readSeconds, read / 1e6 / readSeconds);
    }

    /** Puts files of {@code sizes}, {@link #PUTS_AT_ONCE} at a time, each through a different node. */
    private static List<BulkFiles.Stored> putAll(RepairWatch watch, List<Long> sizes) throws Exception {
        ExecutorService putters = Executors.newFixedThreadPool(PUTS_AT_ONCE);
        try {
            List<Future<BulkFiles.Stored>> puts = new ArrayList<>();
            for (int f = 0; f < sizes.size(); f++) {
                int via = f % NODES;
                long size = sizes.get(f);
                long seed = 1000 + f;
                String name = "bench-" + f + ".bin";
                puts.add(putters.submit(() -> BulkFiles.put(watch.channel(via), name, size, seed, K, M, SHARD,
                        Duration.ofMinutes(30))));
            }
            List<BulkFiles.Stored> out = new ArrayList<>();
            for (Future<BulkFiles.Stored> p : puts) {
                BulkFiles.Stored s = p.get();
                assertThat(s.response().getLossesSurvived()).as("%s: %s", s.fileId(), s.response().getWarningsList()).isEqualTo(M);
                out.add(s);
            }
            return out;
        } finally {
            putters.shutdownNow();
        }
    }

    private static long memTotalMib() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
                    .map(l -> Long.parseLong(l.replaceAll("\\D", "")) / 1024).findFirst().orElse(-1L);
        } catch (IOException e) {
            return -1;
        }
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("cpu model unknown");
        } catch (IOException e) {
            return "cpu model unknown";
        }
    }
}
