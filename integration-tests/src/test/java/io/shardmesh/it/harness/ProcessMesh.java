package io.shardmesh.it.harness;

import io.grpc.StatusRuntimeException;
import io.shardmesh.proto.v1.Contact;
import io.shardmesh.proto.v1.ExchangePeersRequest;
import io.shardmesh.proto.v1.NodeGrpc;
import io.shardmesh.proto.v1.StatusRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * Several real node JVMs ({@link NodeProcess}) on loopback that know each other: the first
 * starts alone, the others join through it, and {@link #start} returns once every routing table
 * holds every other node. {@link #close()} ends every process, whatever happened.
 */
public final class ProcessMesh implements AutoCloseable {

    private final List<NodeProcess> nodes = new ArrayList<>();

    private ProcessMesh() {
    }

    public static ProcessMesh start(Path root, int n) throws IOException, InterruptedException {
        ProcessMesh mesh = new ProcessMesh();
        try {
            NodeProcess first = NodeProcess.start(root.resolve("n0"));
            mesh.nodes.add(first);
            List<CompletableFuture<NodeProcess>> rest = new ArrayList<>();
            for (int i = 1; i < n; i++) {
                Path dir = root.resolve("n" + i);
                rest.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return NodeProcess.start(dir, "--bootstrap", "127.0.0.1:" + first.port());
                    } catch (IOException | InterruptedException e) {
                        throw new CompletionException(e);
                    }
                }));
            }
            RuntimeException failed = null;
            for (CompletableFuture<NodeProcess> f : rest) {
                try {
                    mesh.nodes.add(f.join());
                } catch (CompletionException e) {
                    failed = e;
                }
            }
            if (failed != null) {
                throw failed;
            }
            mesh.awaitFullTables(n - 1);
            return mesh;
        } catch (IOException | InterruptedException | RuntimeException e) {
            mesh.close();
            throw e;
        }
    }

    /**
     * Nodes that joined at the same moment may each have asked the first node before it knew the
     * other; such a node is told about every other one by gossip (ExchangePeers), which it checks
     * with a ping before it adds them, as it would gossip from a peer.
     */
    private void awaitFullTables(int peers) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        ExchangePeersRequest.Builder everyone = ExchangePeersRequest.newBuilder();
        for (NodeProcess n : nodes) {
            everyone.addPeers(Contact.newBuilder().setNodeId(n.nodeId()).setHost("127.0.0.1").setPort(n.port()));
        }
        for (NodeProcess node : nodes) {
            var stub = NodeGrpc.newBlockingStub(node.channel());
            while (true) {
                try {
                    if (stub.withDeadlineAfter(10, TimeUnit.SECONDS).status(StatusRequest.getDefaultInstance())
                            .getRoutingTableSize() >= peers) {
                        break;
                    }
                    stub.withDeadlineAfter(10, TimeUnit.SECONDS).exchangePeers(everyone.build());
                } catch (StatusRuntimeException e) {
                    // Still starting; asked again below.
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("node " + node.nodeId() + " did not learn its " + peers + " peers in 60 s");
                }
                Thread.sleep(200);
            }
        }
    }

    public List<NodeProcess> nodes() {
        return nodes;
    }

    public NodeProcess node(int i) {
        return nodes.get(i);
    }

    /** The node with this id. */
    public NodeProcess byId(String nodeId) {
        return nodes.stream().filter(n -> n.nodeId().equals(nodeId)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node " + nodeId));
    }

    @Override
    public void close() throws InterruptedException {
        for (NodeProcess n : nodes) {
            n.close();
        }
    }
}
