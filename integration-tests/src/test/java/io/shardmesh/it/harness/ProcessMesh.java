package io.shardmesh.it.harness;

import io.grpc.ManagedChannel;
import io.shardmesh.proto.v1.NodeGrpc;
import io.shardmesh.proto.v1.StatusRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Several real node processes on loopback: the first on its own, the others bootstrapped to it,
 * returned once every node's routing table holds all the others.
 * {@link #close()} ends every process that started, also when starting the mesh failed.
 */
public final class ProcessMesh implements AutoCloseable {

    private final List<NodeProcess> nodes = new ArrayList<>();

    private ProcessMesh() {
    }

    /**
     * Starts {@code count} nodes with data dirs {@code dir/n1..nN}, one after the other, and waits
     * up to {@code settle} for every node to know all the others.
     */
    public static ProcessMesh start(Path dir, int count, Duration settle) throws Exception {
        ProcessMesh mesh = new ProcessMesh();
        long end = System.nanoTime() + settle.toNanos();
        try {
            NodeProcess first = NodeProcess.start(dir.resolve("n1"));
            mesh.nodes.add(first);
            for (int i = 2; i <= count; i++) {
                NodeProcess next = NodeProcess.start(dir.resolve("n" + i), "--bootstrap", "127.0.0.1:" + first.port());
                mesh.nodes.add(next);
                // One at a time: a joining node's self-lookup reaches every node already in, so
                // they learn it. Two nodes joining at once can miss each other until the next
                // gossip round (minutes), as in any Kademlia network.
                awaitRoutingTable(next, i - 1, end, settle);
            }
            for (NodeProcess n : mesh.nodes) {
                awaitRoutingTable(n, count - 1, end, settle);
            }
            return mesh;
        } catch (Exception | Error e) {
            mesh.close();
            throw e;
        }
    }

    /** The nodes, the bootstrap node first. */
    public List<NodeProcess> nodes() {
        return List.copyOf(nodes);
    }

    private static void awaitRoutingTable(NodeProcess n, int contacts, long endNanos, Duration settle) throws Exception {
        ManagedChannel ch = Channels.open(n.port());
        try {
            while (NodeGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .status(StatusRequest.getDefaultInstance()).getRoutingTableSize() < contacts) {
                if (System.nanoTime() > endNanos) {
                    throw new IllegalStateException("node " + n.nodeId() + " did not learn " + contacts
                            + " other node(s) within " + settle);
                }
                Thread.sleep(200);
            }
        } finally {
            Channels.close(ch);
        }
    }

    @Override
    public void close() {
        // Stop them all at once: each close may wait for a graceful stop.
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        ExecutorService stoppers = Executors.newFixedThreadPool(Math.max(1, nodes.size()));
        for (NodeProcess n : nodes) {
            stops.add(CompletableFuture.runAsync(() -> {
                try {
                    n.close();
                } catch (InterruptedException e) {
                    n.process().destroyForcibly();
                    Thread.currentThread().interrupt();
                }
            }, stoppers));
        }
        stoppers.shutdown();
        for (CompletableFuture<Void> s : stops) {
            try {
                s.get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                // NodeProcess.close ends its process with SIGKILL at worst; nothing left to do.
            }
        }
        for (NodeProcess n : nodes) {
            n.process().destroyForcibly();
        }
    }
}
