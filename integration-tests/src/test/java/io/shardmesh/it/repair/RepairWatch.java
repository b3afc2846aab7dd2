package io.shardmesh.it.repair;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.shardmesh.it.harness.FileCalls;
import io.shardmesh.it.harness.NodeProcess;
import io.shardmesh.it.harness.ProcessMesh;
import io.shardmesh.proto.v1.Contact;
import io.shardmesh.proto.v1.FilesGrpc;
import io.shardmesh.proto.v1.FilesStatRequest;
import io.shardmesh.proto.v1.FilesStatResponse;
import io.shardmesh.proto.v1.NodeGrpc;
import io.shardmesh.proto.v1.RepairStatus;
import io.shardmesh.proto.v1.ShardShares;
import io.shardmesh.proto.v1.StatusRequest;
import io.shardmesh.proto.v1.StripeShares;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * What the repair tests watch on a {@link ProcessMesh}: whether every stripe of some files is
 * back to k + m live shards on k + m distinct running nodes (from Files.Stat through one node),
 * and the repair counters of Node.Status summed over the running nodes. One channel per node
 * process, reused by every poll (the harness's {@code channel()} opens a new connection per call).
 */
final class RepairWatch {

    /** How often a wait asks again. */
    static final Duration POLL = Duration.ofMillis(250);

    private final ProcessMesh mesh;
    private final Map<NodeProcess, ManagedChannel> channels = new HashMap<>();

    private final Map<String, String> names;

    /** {@code mesh} with all its nodes running. */
    RepairWatch(ProcessMesh mesh) {
        this.mesh = mesh;
        this.names = nameAll();
    }

    /** A channel to node {@code i} (running), the same one every time for the same process. */
    synchronized ManagedChannel channel(int i) {
        return channels.computeIfAbsent(mesh.node(i), NodeProcess::channel);
    }

    /** Node ids of the running nodes. */
    Set<String> runningIds() {
        return mesh.nodes().stream().map(NodeProcess::nodeId).collect(Collectors.toSet());
    }

    /**
     * Why the files' stripes are not at full redundancy now, one line per short stripe; empty
     * when every stripe has k + m shards, each confirmed (live_holders) by a running node, with a
     * distinct running node for every shard.
     */
    List<String> shortfalls(Map<String, FilesStatResponse> stats, Set<String> running) {
        List<String> out = new ArrayList<>();
        stats.forEach((fileId, stat) -> {
            int width = stat.getFile().getK() + stat.getFile().getM();
            for (StripeShares stripe : stat.getStripesList()) {
                List<Set<String>> live = new ArrayList<>();
                for (ShardShares shard : stripe.getShardsList()) {
                    live.add(shard.getLiveHoldersList().stream().map(Contact::getNodeId).filter(running::contains)
                            .collect(Collectors.toSet()));
                }
                int distinct = distinctRepresentatives(live);
                if (stripe.getShardsCount() != width || distinct != width) {
                    out.add(String.format("file %s stripe %d: %d of %d shards on distinct running nodes (live_shards %d);"
                                    + " per shard live holders / announced holders: %s", fileId.substring(0, 12),
                            stripe.getIndex(), distinct, width, stripe.getLiveShards(), stripe.getShardsList().stream()
                                    .map(sh -> sh.getIndex() + "=" + names(sh.getLiveHoldersList()) + "/" + names(sh.getHoldersList()))
                                    .toList()));
                }
            }
        });
        return out;
    }

    /** Node ids as mesh indexes ("n3", "n3+" when dead), in order. */
    String names(List<Contact> contacts) {
        return contacts.stream().map(c -> {
            String n = names.getOrDefault(c.getNodeId(), c.getNodeId().substring(0, 8));
            return mesh.indexOf(c.getNodeId()) < 0 ? n + "+" : n;
        }).collect(Collectors.joining(",", "[", "]"));
    }

    /** The node ids of this mesh as "n0".."n7". */
    private Map<String, String> nameAll() {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < mesh.size(); i++) {
            out.put(mesh.node(i).nodeId(), "n" + i);
        }
        return out;
    }

    /** The largest number of shards that can each be given a different holder (bipartite matching). */
    static int distinctRepresentatives(List<Set<String>> holdersPerShard) {
        Map<String, Integer> ownerOf = new HashMap<>();
        int matched = 0;
        for (int s = 0; s < holdersPerShard.size(); s++) {
            if (augment(s, holdersPerShard, ownerOf, new HashSet<>())) {
                matched++;
            }
        }
        return matched;
    }

    private static boolean augment(int shard, List<Set<String>> holders, Map<String, Integer> ownerOf, Set<String> seen) {
        for (String h : holders.get(shard)) {
            if (seen.add(h)) {
                Integer other = ownerOf.get(h);
                if (other == null || augment(other, holders, ownerOf, seen)) {
                    ownerOf.put(h, shard);
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Files.Stat of every file through node {@code via}, all at once: each Stat waits out the
     * probe deadline of every dead holder the file's provider records still name.
     */
    Map<String, FilesStatResponse> stat(int via, List<String> fileIds) throws InterruptedException {
        FilesGrpc.FilesFutureStub stub = FilesGrpc.newFutureStub(channel(via));
        Map<String, ListenableFuture<FilesStatResponse>> calls = new LinkedHashMap<>();
        for (String f : fileIds) {
            calls.put(f, stub.withDeadlineAfter(FileCalls.DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                    .stat(FilesStatRequest.newBuilder().setFileId(f).build()));
        }
        Map<String, FilesStatResponse> out = new LinkedHashMap<>();
        for (Map.Entry<String, ListenableFuture<FilesStatResponse>> e : calls.entrySet()) {
            try {
                out.put(e.getKey(), e.getValue().get());
            } catch (ExecutionException x) {
                calls.values().forEach(c -> c.cancel(true));
                if (x.getCause() instanceof StatusRuntimeException sre) {
                    throw sre;
                }
                throw new IllegalStateException(x.getCause());
            }
        }
        return out;
    }

    /** What {@link #awaitFullRedundancy} saw. */
    record Healed(Duration took, int polls, Map<String, FilesStatResponse> stats) {
    }

    /**
     * Polls Files.Stat through node {@code via} until every stripe of every file is at full
     * redundancy ({@link #shortfalls} empty); fails after {@code timeout} with what was still short.
     * The time is measured from {@code sinceNanos} (a {@link System#nanoTime()}).
     */
    Healed awaitFullRedundancy(int via, List<String> fileIds, long sinceNanos, Duration timeout)
            throws InterruptedException, IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> last = List.of("no Stat answered yet");
        StatusRuntimeException lastError = null;
        int polls = 0;
        while (true) {
            polls++;
            try {
                Map<String, FilesStatResponse> stats = stat(via, fileIds);
                last = shortfalls(stats, runningIds());
                if (last.isEmpty()) {
                    return new Healed(Duration.ofNanos(System.nanoTime() - sinceNanos), polls, stats);
                }
            } catch (StatusRuntimeException e) {
                lastError = e; // a Stat cut short by a holder that just died: ask again
            }
            if (System.nanoTime() >= deadline) {
                throw new AssertionError("not back to full redundancy " + timeout.toSeconds() + " s after the loss ("
                        + polls + " Stat rounds); still short:\n  " + String.join("\n  ", last)
                        + (lastError == null ? "" : "\nlast Stat error: " + lastError.getStatus())
                        + "\nrepair counters of the running nodes: " + describe(sumRepair())
                        + "\nlog lines of every node (dead ones too) about the files still short:\n"
                        + logAbout(last, 30));
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /** Node.Status of node {@code i}, on the reused channel. */
    RepairStatus repair(int i) {
        return NodeGrpc.newBlockingStub(channel(i)).withDeadlineAfter(ProcessMesh.CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .status(StatusRequest.getDefaultInstance()).getRepair();
    }

    /** The repair counters of every running node, summed (queued and running too). */
    RepairStatus sumRepair() {
        return sumRepair(-1);
    }

    /**
     * As {@link #sumRepair()}, without node {@code except}: the baseline before it is killed, to
     * compare with the sum over the survivors after.
     */
    RepairStatus sumRepair(int except) {
        RepairStatus.Builder sum = RepairStatus.newBuilder();
        for (int i = 0; i < mesh.size(); i++) {
            if (!mesh.isRunning(i) || i == except) {
                continue;
            }
            RepairStatus r = repair(i);
            sum.setQueued(sum.getQueued() + r.getQueued())
                    .setRunning(sum.getRunning() + r.getRunning())
                    .setDone(sum.getDone() + r.getDone())
                    .setFailed(sum.getFailed() + r.getFailed())
                    .setShardsRepaired(sum.getShardsRepaired() + r.getShardsRepaired())
                    .setBytesFetched(sum.getBytesFetched() + r.getBytesFetched())
                    .setBytesWritten(sum.getBytesWritten() + r.getBytesWritten())
                    .setSurplusDropped(sum.getSurplusDropped() + r.getSurplusDropped())
                    .setUnrecoverable(sum.getUnrecoverable() + r.getUnrecoverable())
                    .setScrubbedChunks(sum.getScrubbedChunks() + r.getScrubbedChunks())
                    .setQuarantinedChunks(sum.getQuarantinedChunks() + r.getQuarantinedChunks());
        }
        return sum.build();
    }

    /**
     * Waits until no running node has a repair queued or running (the mesh is idle), at most
     * {@code timeout}; returns whether it got there.
     */
    boolean awaitRepairIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                RepairStatus s = sumRepair();
                if (s.getQueued() == 0 && s.getRunning() == 0) {
                    return true;
                }
            } catch (StatusRuntimeException e) {
                // busy: ask again
            }
            if (System.nanoTime() >= deadline) {
                return false;
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    static String describe(RepairStatus r) {
        return String.format("done %d, failed %d, shards_repaired %d, bytes_fetched %d, bytes_written %d, surplus_dropped %d,"
                        + " unrecoverable %d, queued %d, running %d", r.getDone(), r.getFailed(), r.getShardsRepaired(),
                r.getBytesFetched(), r.getBytesWritten(), r.getSurplusDropped(), r.getUnrecoverable(), r.getQueued(),
                r.getRunning());
    }

    /**
     * The last {@code perNode} lines of every node's stderr log (dead nodes too) that name a file
     * of {@code shortfalls} (lines starting "file <12 hex>").
     */
    String logAbout(List<String> shortfalls, int perNode) throws IOException {
        Set<String> prefixes = shortfalls.stream().filter(l -> l.startsWith("file ")).map(l -> l.substring(5, 17))
                .collect(Collectors.toSet());
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < mesh.size(); i++) {
            Path log = mesh.dataDir(i).resolveSibling(mesh.dataDir(i).getFileName() + ".stderr.log");
            if (!Files.exists(log)) {
                continue;
            }
            List<String> lines = Files.readAllLines(log).stream()
                    .filter(l -> prefixes.stream().anyMatch(l::contains) || l.contains(" WARN ") || l.contains(" ERROR "))
                    .toList();
            out.append("--- n").append(i).append(mesh.isRunning(i) ? "" : " (dead)").append(": ").append(lines.size())
                    .append(" line(s), the last ").append(Math.min(perNode, lines.size())).append('\n');
            lines.subList(Math.max(0, lines.size() - perNode), lines.size()).forEach(l -> out.append(l).append('\n'));
        }
        return out.toString();
    }

    /**
     * Copies every node's stderr log to {@code target/repair-logs/<name>/} (the test's temp dir
     * is deleted after it), so a run can be read afterwards; says where.
     */
    String keepLogs(String name) {
        Path to = Path.of("target", "repair-logs", name);
        try {
            Files.createDirectories(to);
            for (int i = 0; i < mesh.size(); i++) {
                Path log = mesh.dataDir(i).resolveSibling(mesh.dataDir(i).getFileName() + ".stderr.log");
                if (Files.exists(log)) {
                    Files.copy(log, to.resolve("n" + i + ".stderr.log"), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return to.toAbsolutePath().toString();
        } catch (IOException e) {
            return "nowhere (" + e + ")"; // never hides the test's own failure
        }
    }

    /** Shards per running node, by node index, over every stripe of {@code stats} (live holders). */
    Map<Integer, Integer> shardsPerNode(Map<String, FilesStatResponse> stats) {
        Map<Integer, Integer> out = new LinkedHashMap<>();
        for (FilesStatResponse s : stats.values()) {
            for (StripeShares stripe : s.getStripesList()) {
                for (ShardShares shard : stripe.getShardsList()) {
                    for (Contact c : shard.getLiveHoldersList()) {
                        int i = mesh.indexOf(c.getNodeId());
                        if (i >= 0) {
                            out.merge(i, 1, Integer::sum);
                        }
                    }
                }
            }
        }
        return out;
    }
}
