package io.shardmesh.it.harness;

import io.grpc.StatusRuntimeException;
import io.shardmesh.proto.v1.ListPeersRequest;
import io.shardmesh.proto.v1.NodeGrpc;
import io.shardmesh.proto.v1.PeerInfo;
import io.shardmesh.proto.v1.PeerStatus;
import io.shardmesh.proto.v1.StatusRequest;
import io.shardmesh.proto.v1.StatusResponse;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * N node JVMs on loopback, each with its own data dir under one root: node 0 first, the others
 * bootstrapped to it. A node can be killed (SIGKILL), stopped (SIGTERM) and restarted by index;
 * a restart reuses the data dir and passes no {@code --bootstrap}, so the node rejoins from the
 * peers it saved (and gets a new OS-picked port). {@link #close()} always ends every process.
 */
public final class ProcessMesh implements AutoCloseable {

    /** Deadline of the harness's own unary calls to a node. */
    public static final Duration CALL_DEADLINE = Duration.ofSeconds(10);

    private final Path root;
    private final List<String> nodeArgs;
    private final NodeProcess[] nodes;
    private final String[] hosts;

    private ProcessMesh(Path root, List<String> nodeArgs, int size, boolean distinctHosts) {
        this.root = root;
        this.nodeArgs = List.copyOf(nodeArgs);
        this.nodes = new NodeProcess[size];
        this.hosts = new String[size];
        for (int i = 0; i < size; i++) {
            hosts[i] = distinctHosts ? hostOf(i) : "127.0.0.1";
        }
    }

    /** The loopback address node {@code i} of a mesh of distinct hosts listens on: 127.0.0.10, .11, ... */
    public static String hostOf(int i) {
        return "127.0.0." + (10 + i);
    }

    /**
     * Starts {@code size} nodes with {@code nodeArgs} and returns once node 0 sees every other
     * node online in its peer table.
     */
    public static ProcessMesh start(Path root, int size, String... nodeArgs) throws IOException, InterruptedException {
        return start(root, size, false, nodeArgs);
    }

    /**
     * As {@link #start(Path, int, String...)}, node {@code i} on its own loopback address
     * ({@link #hostOf}): to the mesh each node is a host of its own, as on a real network, so
     * "two shards of a stripe on one host" means one address and is caught.
     */
    public static ProcessMesh startOnHosts(Path root, int size, String... nodeArgs) throws IOException, InterruptedException {
        return start(root, size, true, nodeArgs);
    }

    private static ProcessMesh start(Path root, int size, boolean distinctHosts, String... nodeArgs)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        ProcessMesh mesh = new ProcessMesh(root, List.of(nodeArgs), size, distinctHosts);
        boolean ok = false;
        try {
            mesh.nodes[0] = NodeProcess.start(mesh.dataDir(0), mesh.hosts[0], 0, nodeArgs);
            String seed = mesh.nodes[0].address();
            ExecutorService starters = Executors.newFixedThreadPool(Math.max(1, size - 1));
            try {
                List<Future<NodeProcess>> started = new ArrayList<>();
                for (int i = 1; i < size; i++) {
                    List<String> args = new ArrayList<>(mesh.nodeArgs);
                    args.addAll(List.of("--bootstrap", seed));
                    Path dir = mesh.dataDir(i);
                    String host = mesh.hosts[i];
                    started.add(starters.submit(() -> NodeProcess.start(dir, host, 0, args.toArray(String[]::new))));
                }
                Exception failure = null;
                for (int i = 1; i < size; i++) {
                    try {
                        mesh.nodes[i] = started.get(i - 1).get();
                    } catch (ExecutionException e) {
                        failure = failure == null ? e : failure;
                    }
                }
                if (failure != null) {
                    throw new IllegalStateException("a node of the mesh did not start", failure.getCause());
                }
            } finally {
                starters.shutdownNow();
                starters.awaitTermination(NodeProcess.START_TIMEOUT.toSeconds() + 30, TimeUnit.SECONDS);
            }
            mesh.awaitOnlinePeers(0, size - 1, Duration.ofSeconds(60));
            ok = true;
            System.out.printf("MESH %d node processes up and connected in %d ms (node start-up %s ms)%n", size,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                    Arrays.stream(mesh.nodes).map(n -> String.valueOf(n.startup().toMillis())).toList());
            return mesh;
        } finally {
            if (!ok) {
                mesh.close();
            }
        }
    }

    public int size() {
        return nodes.length;
    }

    /** The running nodes, in index order. */
    public List<NodeProcess> nodes() {
        List<NodeProcess> running = new ArrayList<>();
        for (NodeProcess n : nodes) {
            if (n != null && n.isAlive()) {
                running.add(n);
            }
        }
        return running;
    }

    /** The running node with this id. */
    public NodeProcess byId(String nodeId) {
        return nodes().stream().filter(n -> n.nodeId().equals(nodeId)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no running node " + nodeId));
    }

    /** The data dir of node {@code i}, whether it runs or not. */
    public Path dataDir(int i) {
        return root.resolve("n" + i);
    }

    /** Node {@code i}, which must be running. */
    public NodeProcess node(int i) {
        NodeProcess n = nodes[i];
        if (n == null || !n.isAlive()) {
            throw new IllegalStateException("node " + i + " is not running");
        }
        return n;
    }

    /** The index of the running node with this id, or -1. */
    public int indexOf(String nodeId) {
        for (int i = 0; i < nodes.length; i++) {
            if (nodes[i] != null && nodes[i].isAlive() && nodes[i].nodeId().equals(nodeId)) {
                return i;
            }
        }
        return -1;
    }

    public boolean isRunning(int i) {
        return nodes[i] != null && nodes[i].isAlive();
    }

    /** The index of the running node with this port, or -1. */
    public int indexOfPort(int port) {
        for (int i = 0; i < nodes.length; i++) {
            if (nodes[i] != null && nodes[i].port() == port) {
                return i;
            }
        }
        return -1;
    }

    /** SIGKILL node {@code i}: no shutdown hook, no flush, like a power cut of the process. */
    public void kill(int i) throws InterruptedException {
        node(i).kill();
    }

    /** SIGTERM node {@code i}; its exit code. */
    public int terminate(int i) throws InterruptedException {
        return node(i).terminate(30);
    }

    /**
     * Starts node {@code i} again on its data dir, without {@code --bootstrap}, so it rejoins
     * from the peers it saved. It listens on the port the OS gave it at first start, as a
     * deployed node with a fixed {@code --listen} port does.
     */
    public NodeProcess restart(int i) throws IOException, InterruptedException {
        return restart(i, nodes[i].port());
    }

    /**
     * {@link #restart(int)} on a new OS-picked port, as a node that moved: it must re-announce
     * its shards at the new address for readers to find them.
     */
    public NodeProcess restartElsewhere(int i) throws IOException, InterruptedException {
        return restart(i, 0);
    }

    private NodeProcess restart(int i, int port) throws IOException, InterruptedException {
        if (isRunning(i)) {
            throw new IllegalStateException("node " + i + " is still running");
        }
        nodes[i] = NodeProcess.start(dataDir(i), hosts[i], port, nodeArgs.toArray(String[]::new));
        return nodes[i];
    }

    /** Node {@code i}'s status. */
    public StatusResponse status(int i) {
        return NodeGrpc.newBlockingStub(node(i).channel()).withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .status(StatusRequest.getDefaultInstance());
    }

    /** Whether node {@code i} holds chunk {@code chunkId} (Chunks.HasChunks). */
    public boolean holds(int i, String chunkId) {
        return ChunkCalls.held(node(i).channel(), List.of(chunkId), CALL_DEADLINE).contains(chunkId);
    }

    /** Node {@code i}'s peer table. */
    public List<PeerInfo> peers(int i) {
        return NodeGrpc.newBlockingStub(node(i).channel()).withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .listPeers(ListPeersRequest.getDefaultInstance()).getPeersList();
    }

    /** Waits until node {@code i} lists at least {@code min} peers online; returns them. */
    public List<PeerInfo> awaitOnlinePeers(int i, int min, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<PeerInfo> online = List.of();
        while (System.nanoTime() < deadline) {
            try {
                online = peers(i).stream().filter(p -> p.getStatus() == PeerStatus.PEER_STATUS_ONLINE).toList();
                if (online.size() >= min) {
                    return online;
                }
            } catch (StatusRuntimeException e) {
                // Still starting or busy: ask again.
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("node " + i + " sees " + online.size() + " peer(s) online after "
                + timeout.toSeconds() + " s, expected at least " + min + ": " + online);
    }

    /** Ends every node process (SIGTERM, then SIGKILL); never throws before all were tried. */
    @Override
    public void close() throws InterruptedException {
        InterruptedException interrupted = null;
        for (NodeProcess n : nodes) {
            if (n != null && n.isAlive()) {
                n.process().destroy(); // SIGTERM to all first: they stop in parallel
            }
        }
        for (NodeProcess n : nodes) {
            if (n != null) {
                try {
                    n.close();
                } catch (InterruptedException e) {
                    interrupted = e;
                    n.process().destroyForcibly();
                }
            }
        }
        if (interrupted != null) {
            throw interrupted;
        }
    }
}
