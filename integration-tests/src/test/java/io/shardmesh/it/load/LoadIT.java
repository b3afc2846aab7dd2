package io.shardmesh.it.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.shardmesh.it.harness.ChunkCalls;
import io.shardmesh.it.harness.NodeProcess;
import io.shardmesh.it.harness.ProcessProbe;
import io.shardmesh.it.harness.TestFiles;
import io.shardmesh.proto.v1.ChunksGrpc;
import io.shardmesh.proto.v1.DhtGrpc;
import io.shardmesh.proto.v1.FindNodeRequest;
import io.shardmesh.proto.v1.FindNodeResponse;
import io.shardmesh.proto.v1.GetChunkRequest;
import io.shardmesh.proto.v1.GetChunkResponse;
import io.shardmesh.proto.v1.KvGetRequest;
import io.shardmesh.proto.v1.KvGrpc;
import io.shardmesh.proto.v1.KvPutRequest;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A load in the spirit of {@code ghz}: one real node process, pre-seeded with Kv records and
 * chunks, takes a fixed number of Dht.FindNode, Kv.Get and Chunks.GetChunk calls from 50
 * concurrent callers, each call with a deadline. Every call must succeed with the right answer,
 * and the node's threads and heap (read from outside: /proc and jcmd) must stay bounded.
 * Figures are printed, never asserted (the machine is shared). {@code -Dshardmesh.load.scale=N}
 * multiplies the call counts.
 */
class LoadIT {

    private static final int SCALE = Integer.getInteger("shardmesh.load.scale", 1);
    private static final int CALLERS = 50;
    private static final int FIND_NODE_CALLS = 5_000 * SCALE;
    private static final int KV_GET_CALLS = 5_000 * SCALE;
    private static final int GET_CHUNK_CALLS = 1_000 * SCALE;
    private static final int KV_KEYS = 200;
    private static final int CHUNKS = 8;
    private static final int CHUNK_BYTES = 512 * 1024;
    private static final Duration UNARY_DEADLINE = Duration.ofSeconds(10);
    private static final Duration STREAM_DEADLINE = Duration.ofSeconds(30);
    /** Each phase stops issuing calls after this; calls not made then count as a failure. */
    private static final Duration PHASE_LIMIT = Duration.ofSeconds(90L * SCALE);
    /** The node runs with -Xmx256m (NodeProcess); these are its ceilings under this load. */
    private static final long MAX_THREADS = 200;
    private static final long MAX_HEAP_AFTER_GC_BYTES = 160L << 20;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void fiftyCallers_findNodeKvGetGetChunk_noErrors_boundedThreadsAndHeap() throws Exception {
        assumeTrue(ProcessProbe.procAvailable(), "skipped: no /proc to read the node's threads and memory from");
        try (NodeProcess node = NodeProcess.start(dir.resolve("n1"))) {
            // Closed with the node.
            ManagedChannel ch = node.channel();
            ProcessProbe probe = new ProcessProbe(node.process().pid());
            ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
            try {
                byte[][] values = seedKv(ch);
                List<byte[]> chunks = seedChunks(ch);
                String[] chunkIds = chunks.stream().map(TestFiles::sha256).toArray(String[]::new);

                long heapBefore = probe.heapUsedBytes(true);
                ProcessProbe.Sample before = probe.sample();
                AtomicLong maxThreads = new AtomicLong(before.threads());
                AtomicLong maxRss = new AtomicLong(before.rssBytes());
                sampler.scheduleAtFixedRate(() -> {
                    try {
                        ProcessProbe.Sample s = probe.sample();
                        maxThreads.accumulateAndGet(s.threads(), Math::max);
                        maxRss.accumulateAndGet(s.rssBytes(), Math::max);
                    } catch (Exception e) {
                        // The process is gone; the calls fail and say so.
                    }
                }, 0, 250, TimeUnit.MILLISECONDS);

                List<Phase> phases = new ArrayList<>();
                List<Long> heapAtPhaseEnd = new ArrayList<>();
                phases.add(run("Dht.FindNode", FIND_NODE_CALLS, i -> {
                    byte[] target = new byte[32];
                    ThreadLocalRandom.current().nextBytes(target);
                    FindNodeResponse r = DhtGrpc.newBlockingStub(ch).withDeadlineAfter(UNARY_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                            .findNode(FindNodeRequest.newBuilder().setTargetId(HexFormat.of().formatHex(target)).build());
                    check(r.getResponder().getNodeId().equals(node.nodeId()), "responder " + r.getResponder().getNodeId());
                    return 0;
                }));
                heapAtPhaseEnd.add(probe.heapUsedBytes(false));
                phases.add(run("Kv.Get", KV_GET_CALLS, i -> {
                    int k = i % KV_KEYS;
                    byte[] v = KvGrpc.newBlockingStub(ch).withDeadlineAfter(UNARY_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                            .get(KvGetRequest.newBuilder().setKey("load/" + k).build()).getValue().toByteArray();
                    check(Arrays.equals(v, values[k]), "wrong value for load/" + k);
                    return 0;
                }));
                heapAtPhaseEnd.add(probe.heapUsedBytes(false));
                phases.add(run("Chunks.GetChunk", GET_CHUNK_CALLS, i -> {
                    String id = chunkIds[i % CHUNKS];
                    Iterator<GetChunkResponse> frames = ChunksGrpc.newBlockingStub(ch)
                            .withDeadlineAfter(STREAM_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                            .getChunk(GetChunkRequest.newBuilder().setChunkId(id).build());
                    MessageDigest sha = MessageDigest.getInstance("SHA-256");
                    long bytes = 0;
                    while (frames.hasNext()) {
                        ByteString data = frames.next().getData();
                        sha.update(data.asReadOnlyByteBuffer());
                        bytes += data.size();
                    }
                    check(bytes == CHUNK_BYTES, id + ": " + bytes + " bytes");
                    check(HexFormat.of().formatHex(sha.digest()).equals(id), id + ": bytes do not hash to the id");
                    return bytes;
                }));
                heapAtPhaseEnd.add(probe.heapUsedBytes(false));

                sampler.shutdownNow();
                ProcessProbe.Sample after = probe.sample();
                long heapAfter = probe.heapUsedBytes(true);

                System.out.println(table(phases));
                System.out.printf("LoadIT node threads: before %d, max during %d, after %d%n",
                        before.threads(), maxThreads.get(), after.threads());
                System.out.printf("LoadIT node RSS: before %d MiB, max during %d MiB, after %d MiB%n",
                        before.rssBytes() >> 20, maxRss.get() >> 20, after.rssBytes() >> 20);
                System.out.printf("LoadIT node heap used (-Xmx256m): after a GC before the load %d MiB; at the end of"
                                + " each phase (no GC) %s MiB; after a GC after the load %d MiB%n",
                        heapBefore >> 20, heapAtPhaseEnd.stream().map(b -> b >> 20).toList(), heapAfter >> 20);

                for (Phase p : phases) {
                    assertThat(p.errors()).as("%s errors, the first: %s", p.rpc(), p.errorSamples()).isZero();
                    assertThat(p.completed()).as("%s calls made within %s", p.rpc(), PHASE_LIMIT).isEqualTo(p.calls());
                }
                assertThat(node.process().isAlive()).isTrue();
                assertThat(maxThreads.get()).as("node threads during the load").isLessThanOrEqualTo(MAX_THREADS);
                assertThat(heapAfter).as("node heap after a GC after the load").isLessThanOrEqualTo(MAX_HEAP_AFTER_GC_BYTES);
            } finally {
                sampler.shutdownNow();
            }
        }
    }

    /** Values of the Kv keys load/0..; stored through the node (it signs and stores the records). */
    private static byte[][] seedKv(ManagedChannel ch) {
        Random random = new Random(42);
        byte[][] values = new byte[KV_KEYS][];
        for (int k = 0; k < KV_KEYS; k++) {
            values[k] = new byte[256];
            random.nextBytes(values[k]);
            KvGrpc.newBlockingStub(ch).withDeadlineAfter(UNARY_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                    .put(KvPutRequest.newBuilder().setKey("load/" + k).setValue(ByteString.copyFrom(values[k])).build());
        }
        return values;
    }

    /** Random chunks uploaded with PutChunk (unpinned: collected only after an hour's grace). */
    private static List<byte[]> seedChunks(ManagedChannel ch) throws Exception {
        Random random = new Random(7);
        List<byte[]> out = new ArrayList<>();
        for (int c = 0; c < CHUNKS; c++) {
            byte[] bytes = new byte[CHUNK_BYTES];
            random.nextBytes(bytes);
            assertThat(ChunkCalls.put(ch, bytes, 256 * 1024, null, null, STREAM_DEADLINE).getChunkId())
                    .isEqualTo(TestFiles.sha256(bytes));
            out.add(bytes);
        }
        return out;
    }

    /**
     * {@code calls} calls of one rpc from {@link #CALLERS} threads over one channel (as ghz does
     * by default), each call timed; stops issuing after {@link #PHASE_LIMIT}.
     */
    private static Phase run(String rpc, int calls, Call call) throws InterruptedException {
        long[] latencies = new long[calls];
        AtomicInteger next = new AtomicInteger();
        AtomicInteger completed = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        AtomicLong bytes = new AtomicLong();
        ConcurrentLinkedQueue<String> samples = new ConcurrentLinkedQueue<>();
        long start = System.nanoTime();
        long stopIssuingAt = start + PHASE_LIMIT.toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(CALLERS);
        for (int c = 0; c < CALLERS; c++) {
            pool.execute(() -> {
                int i;
                while ((i = next.getAndIncrement()) < calls && System.nanoTime() < stopIssuingAt) {
                    long t0 = System.nanoTime();
                    try {
                        bytes.addAndGet(call.run(i));
                    } catch (Exception e) {
                        if (errors.incrementAndGet() <= 5) {
                            samples.add(e.toString());
                        }
                    }
                    latencies[i] = System.nanoTime() - t0;
                    completed.incrementAndGet();
                }
            });
        }
        pool.shutdown();
        // Every call has a deadline, so the callers end soon after the limit.
        if (!pool.awaitTermination(PHASE_LIMIT.toSeconds() + STREAM_DEADLINE.toSeconds() + 10, TimeUnit.SECONDS)) {
            pool.shutdownNow();
            throw new IllegalStateException(rpc + ": callers still busy well past their deadlines");
        }
        long wall = System.nanoTime() - start;
        // Calls never made (past the limit) hold zeros; only made calls count.
        long[] done = Arrays.stream(latencies).filter(l -> l > 0).toArray();
        Arrays.sort(done);
        return new Phase(rpc, calls, completed.get(), errors.get(), wall, done, List.copyOf(samples), bytes.get());
    }

    private static String table(List<Phase> phases) {
        StringBuilder sb = new StringBuilder(String.format("LoadIT %d callers, one channel, one node%n", CALLERS));
        sb.append(String.format("LoadIT %-16s %7s %7s %9s %8s %8s %8s %9s%n",
                "rpc", "calls", "errors", "calls/s", "p50 ms", "p99 ms", "max ms", "MiB/s"));
        for (Phase p : phases) {
            double seconds = p.wallNanos() / 1e9;
            sb.append(String.format("LoadIT %-16s %7d %7d %9.0f %8.2f %8.2f %8.2f %9s%n",
                    p.rpc(), p.completed(), p.errors(), p.completed() / seconds,
                    p.percentileMillis(0.50), p.percentileMillis(0.99), p.percentileMillis(1.0),
                    p.bytes() == 0 ? "-" : String.format("%.0f", p.bytes() / seconds / (1 << 20))));
        }
        return sb.toString().stripTrailing();
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(what);
        }
    }

    /** One call; returns the payload bytes it received (0 for unary calls). */
    @FunctionalInterface
    private interface Call {
        long run(int index) throws Exception;
    }

    /** What one rpc's phase did; {@code sortedLatencies} of the calls made, in nanoseconds. */
    private record Phase(String rpc, int calls, int completed, int errors, long wallNanos, long[] sortedLatencies,
                         List<String> errorSamples, long bytes) {

        double percentileMillis(double q) {
            if (sortedLatencies.length == 0) {
                return 0;
            }
            int i = (int) Math.ceil(q * sortedLatencies.length) - 1;
            return sortedLatencies[Math.max(0, i)] / 1e6;
        }
    }
}
